/** The details a TmSdkError carries, besides its message (docs/contract.md, Errors). */
const DETAILS = ["code", "field", "errMsg", "errNo", "status", "serverErr", "cached"];

/**
 * The error every tmsdk-profile call rejects with: `code` (one of the codes of docs/contract.md, Errors) plus,
 * where relevant, `field`, `errMsg`, `errNo` (Douyin's), `status`, `serverErr` and `cached`. The Rust core constructs it (through
 * `setErrorClass`) with its own error serialised as `details`; the shim builds its few the same way.
 */
export class TmSdkError extends Error {
  /**
   * @param {string} message what went wrong and what to do about it
   * @param {{ code: string, field?: string, errMsg?: string, errNo?: number, status?: number, serverErr?: number, cached?: object }} [details]
   */
  constructor(message, details) {
    super(message);
    this.name = "TmSdkError";
    if (details) for (const key of DETAILS) if (details[key] !== undefined) this[key] = details[key];
  }
}
