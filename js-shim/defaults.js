// The core's defaults for a call made before the wasm is ready (core/src/options.rs: DEFAULT_DESC and
// Lang::default()). A core test (`shim_defaults_are_the_cores`) fails when they drift apart.
/** The popup text and language of a call made before the wasm is ready. */
export const EARLY_DEFAULTS = Object.freeze({ desc: "更新用户信息", lang: "zh_CN" });
