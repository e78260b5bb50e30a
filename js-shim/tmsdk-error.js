/**
 * The error every tmsdk-profile call rejects with. The Rust core constructs it (through `setErrorClass`) and
 * sets `code` (one of the codes of docs/contract.md, Errors) plus, where relevant, `field`, `errMsg`, `status`, `serverErr` and
 * `cached`.
 */
export class TmSdkError extends Error {
  /** @param {string} message what went wrong and what to do about it */
  constructor(message) {
    super(message);
    this.name = "TmSdkError";
  }
}
