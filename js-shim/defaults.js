// The core's values the shim needs before (or without) asking the wasm: the defaults of a call made before the
// wasm is ready (core/src/options.rs: DEFAULT_DESC and Lang::default()), the period of the play-time
// checkpoint (core/src/play.rs: CHECKPOINT_MS) and the bits of `tracking` (core/src/flow/figures.rs). A core test (`shim_defaults_are_the_cores`) fails when they drift
// apart.
/** The popup text and language of a call made before the wasm is ready. */
export const EARLY_DEFAULTS = Object.freeze({ desc: "更新用户信息", lang: "zh_CN" });
/** How often, in ms, the shim tells the core the game is still in the foreground (a checkpoint of play time). */
export const CHECKPOINT_MS = 60000;
/** The bits of the core's `tracking`: what install hooks (trackShares, trackPlayTime). */
export const TRACKS_SHARES = 1;
export const TRACKS_PLAY_TIME = 2;
