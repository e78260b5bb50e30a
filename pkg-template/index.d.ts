// Types of tmsdk-profile: install(), the wx.tmSDK members, Profile, TmSdkError and its codes.

/** Every `TmSdkError.code` (see the README's error table). */
export type TmSdkErrorCode =
  | "INVALID_CONFIG"
  | "INVALID_OPTIONS"
  | "NO_LOGIN_SDK"
  | "UNSUPPORTED"
  | "AUTH_DENIED"
  | "PRIVACY_DENIED"
  | "PRIVACY_NOT_DECLARED"
  | "TAP_REQUIRED"
  | "HOST_ERROR"
  | "LOGIN_FAILED"
  | "NETWORK"
  | "TIMEOUT"
  | "HTTP"
  | "SERVER"
  | "INVALID_PROFILE"
  | "CONTENT_RISKY"
  | "INVALID_AVATAR"
  | "INTERNAL";

/** WeChat's languages for user info. */
export type Lang = "en" | "zh_CN" | "zh_TW";

/** A user profile as SkyRiver documents it: exactly these fields, in this order. */
export interface Profile {
  /** SkyRiver's user index (deprecated). */
  pid: string;
  app_id: string;
  /** Always non-empty. */
  open_id: string;
  union_id: string;
  /** "" until the user authorises. */
  nick_name: string;
  /** "" or an http(s) URL. */
  avatar_url: string;
  /** 0 unknown, 1 male, 2 female (WeChat now always gives 0). */
  gender: 0 | 1 | 2;
  city: string;
  province: string;
  country: string;
  language: string;
  /** @deprecated */
  gold: number;
  /** @deprecated */
  diamond: number;
  share_new: number;
  share_times: number;
  online_days: number;
  /** Seconds. */
  online_duration: number;
  /** Unix seconds. */
  last_login_time: number;
  login_times: number;
  from_scene: string;
  from_code: string;
  is_new: boolean;
  ofp: string;
  /** The backend session. */
  jwt: string;
  login_province: string;
  login_city: string;
  login_district: string;
  /** Present when the backend sends it. */
  lst?: string;
  /** Present when the backend sends it; prefer it over open_id when non-empty. */
  xh_uid?: string;
  /** The code this player's shares carry (`tmsdk_s`), when the backend issues one: at most 32 of A-Z a-z 0-9 _ -. */
  share_code?: string;
}

/** The error every call rejects with. */
/** What a TmSdkError carries besides its message. */
export interface TmSdkErrorDetails {
  code: TmSdkErrorCode;
  field?: string;
  errMsg?: string;
  errNo?: number;
  status?: number;
  serverErr?: number;
  cached?: Profile;
}

export declare class TmSdkError extends Error {
  constructor(message: string, details?: TmSdkErrorDetails);
  readonly name: "TmSdkError";
  readonly code: TmSdkErrorCode;
  /** The config key, option key or profile field at fault. */
  readonly field?: string;
  /** The host's own errMsg (WeChat's, QQ's, Douyin's). */
  readonly errMsg?: string;
  /** Douyin's errNo beside its errMsg. */
  readonly errNo?: number;
  /** HTTP status of the backend's answer. */
  readonly status?: number;
  /** The backend envelope's err. */
  readonly serverErr?: number;
  /** The previous cached profile, left intact by the failure. */
  readonly cached?: Profile;
}

export interface UpdateUserProfileOptions {
  /** true: always ask the user; false (default): reuse a fresh authorised cached profile. */
  refresh?: boolean;
  /** SkyRiver's documented spelling of refresh. */
  fresh?: boolean;
  /** Shown in WeChat's popup; 1–30 characters; default "更新用户信息". */
  desc?: string;
  lang?: Lang;
}

export interface CachedProfile {
  profile: Profile;
  /** Epoch ms. */
  cachedAt: number;
  /** Epoch ms. */
  expiresAt: number;
  /** Whether the profile is WeChat's anonymous placeholder ("微信用户"). */
  placeholder: boolean;
}

/** Style of the mini-game user-info button (wx.createUserInfoButton). */
export interface UserInfoButtonStyle {
  left?: number;
  top?: number;
  width?: number;
  height?: number;
  backgroundColor?: string;
  borderColor?: string;
  borderWidth?: number;
  borderRadius?: number;
  color?: string;
  textAlign?: "left" | "center" | "right";
  fontSize?: number;
  lineHeight?: number;
}

export interface InstallConfig {
  /** Backend base URL; required unless noLogin. */
  server?: string;
  /** Default: wx.getAccountInfoSync().miniProgram.appId. */
  appId?: string;
  /** Seconds an authorised profile is reused; default 604800 (7 days); 0 = never. */
  profileTtl?: number;
  /** The no-login build: updateUserProfile and login reject NO_LOGIN_SDK. */
  noLogin?: boolean;
  /** Log in silently at install (default true). */
  autoLogin?: boolean;
  /** Default "zh_CN". */
  lang?: Lang;
  /** wx.request timeout in ms; default 10000. */
  timeout?: number;
  /** Mini-game button style; default full-screen and transparent. */
  userInfoButton?: UserInfoButtonStyle;
  /** Tag and count every share leaving the game (wraps shareAppMessage / onShareAppMessage); default true. */
  trackShares?: boolean;
  /** Count the time in the foreground (listens to onShow / onHide or onAppShow / onAppHide); default true. */
  trackPlayTime?: boolean;
  /** WeChat: the .wasm.br path inside the package; browsers: the wasm URL. */
  wasmPath?: string;
  /** A wx-shaped object; default the platform's global: tt, then qq, then wx. */
  host?: object;
}

/** What the player filled in with WeChat's own components (头像昵称填写); at least one of the two. */
export interface FillUserProfileOptions {
  /** `e.detail.avatarUrl` of `<button open-type="chooseAvatar" bind:chooseavatar>`: a temporary file path. */
  avatarPath?: string;
  /** The value of `<input type="nickname">`: trimmed, 1–64 characters. */
  nickName?: string;
}

/**
 * What the host's user-info call handed the game (SkyRiver's `updateUserInfo`): a `UserInfoButton`'s `onTap`
 * result, `getUserInfo`'s success, or a `<button open-type="getUserInfo">` tap's `e.detail`, passed unchanged.
 */
export interface UserInfoTapResult {
  /** `"getUserInfo:ok"`, or the refusal (`"getUserInfo:fail auth deny"` → AUTH_DENIED). */
  errMsg?: string;
  errno?: number;
  encryptedData?: string;
  iv?: string;
  /** sha1(rawData + session_key); required beside rawData. */
  signature?: string;
  rawData?: string;
  userInfo?: object;
}

/** A share object: `wx.shareAppMessage`'s, a menu share's, a page's `onShareAppMessage` or `onShareTimeline` answer. */
export interface ShareObject {
  title?: string;
  imageUrl?: string;
  /** A page's path (mini-programs); the share code goes into its query when it is present. */
  path?: string;
  /** `a=1&b=2`; the share code goes here when there is no `path`. */
  query?: string;
  [key: string]: unknown;
}

/** The members install() sets on wx.tmSDK. */
export interface TmSdk {
  updateUserProfile(options?: UpdateUserProfileOptions): Promise<Profile>;
  /**
   * Sends what the player filled in to the backend (the avatar through wx.uploadFile), where WeChat's content
   * check runs; resolves to the new profile, cached. Rejects CONTENT_RISKY, INVALID_AVATAR, INVALID_OPTIONS …
   */
  fillUserProfile(options: FillUserProfileOptions): Promise<Profile>;
  /**
   * SkyRiver's call: posts what the game's own user-info button gave (with the session; a login first when
   * there is none) and resolves to the verified profile, cached. Never opens a popup. Rejects AUTH_DENIED
   * (a refusal in errMsg), INVALID_OPTIONS naming the field, SERVER (a tampered or foreign payload) …
   */
  updateUserInfo(result: UserInfoTapResult): Promise<Profile>;
  login(): Promise<Profile>;
  /**
   * Erases everything the backend holds about this player in this app (DELETE /v1/profile), then the cached
   * record, the session and the pending figures. Does not log in again by itself. Rejects NETWORK, HTTP,
   * SERVER … with the local record kept.
   */
  deleteProfile(): Promise<void>;
  /**
   * A copy of `share` carrying `tmsdk_s=<share code>` in its `path` (when it has one) or its `query`, the
   * game's keys kept; counts one share. Never throws: anything but a plain object comes back as it was.
   */
  share<T>(share: T): T;
  getCachedProfile(): CachedProfile | null;
  clearProfileCache(): void;
  /** Whether `profile` is WeChat's anonymous placeholder: `nick_name` exactly "微信用户". */
  isPlaceholderProfile(profile: Profile): boolean;
  /**
   * Whether the first two characters of `profile.login_province` equal the first two of any entry of
   * `regions` ("西藏自治区" matches "西藏"); an empty province matches nothing. Throws `INVALID_OPTIONS` unless
   * `regions` is an array of strings.
   */
  inRegion(profile: Profile, regions: readonly string[]): boolean;
}

/** Sets wx.tmSDK's members at once; resolves to wx.tmSDK when the wasm is ready. */
export declare function install(config?: InstallConfig): Promise<TmSdk>;

/**
 * The profile rules for backends and tools: a backend answer (its text, or the parsed object; the
 * `{ err, msg, data }` envelope or a bare profile) as the normalised profile. Throws a `TmSdkError`:
 * `INVALID_PROFILE` naming the field, `SERVER` for `err != 0`, `INVALID_OPTIONS` for arguments of the wrong
 * type. Synchronous; in Node it loads the wasm on first use, in browsers and WeChat call it after `install`
 * has resolved (else `UNSUPPORTED`).
 */
export declare function parseProfile(body: string | object, appId: string): Profile;

declare global {
  namespace WechatMinigame {
    interface Wx {
      tmSDK: TmSdk;
    }
  }
  namespace WechatMiniprogram {
    interface Wx {
      tmSDK: TmSdk;
    }
  }
}
