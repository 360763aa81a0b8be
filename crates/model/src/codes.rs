//! The TIM error codes opentim itself produces, by name. Numbers are those of `TIMErrCode`; the
//! complete list (for the header check) is [`crate::tables::ERROR_CODES`].

/// Success.
pub const ERR_SUCC: i32 = 0;
/// The same operation is already running.
pub const ERR_IN_PROGESS: i32 = 6015;
/// A parameter is invalid.
pub const ERR_INVALID_PARAMETERS: i32 = 6017;
/// Local file or database I/O failed.
pub const ERR_IO_OPERATION_FAILED: i32 = 6022;
/// Malformed JSON or wrong keys in a JSON parameter.
pub const ERR_INVALID_JSON: i32 = 6027;
/// The SDK is not initialised.
pub const ERR_SDK_NOT_INITIALIZED: i32 = 6013;
/// Local database operation failed.
pub const ERR_DATABASE_OPERATE_FAILED: i32 = 6019;
/// Invalid user id.
pub const ERR_SDK_COMM_INVALID_IDENTIFIER: i32 = 7003;
/// Not logged in.
pub const ERR_SDK_NOT_LOGGED_IN: i32 = 6014;
/// The UserSig expired.
pub const ERR_USER_SIG_EXPIRED: i32 = 6206;
/// The same account logged in elsewhere.
pub const ERR_LOGIN_KICKED_OFF_BY_OTHER: i32 = 6208;
/// A login is already in progress.
pub const ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS: i32 = 7501;
/// A logout is already in progress.
pub const ERR_SDK_ACCOUNT_LOGOUT_IN_PROCESS: i32 = 7502;
/// Invalid conversation.
pub const ERR_INVALID_CONVERSATION: i32 = 6004;
/// Invalid message element.
pub const ERR_INVALID_MSG_ELEM: i32 = 6016;
/// Message body too large (SDK side).
pub const ERR_SDK_MSG_BODY_SIZE_LIMIT: i32 = 8001;
/// Request timed out.
pub const ERR_REQUEST_TIMEOUT: i32 = 6012;
/// Network disconnected and the request could not be sent.
pub const ERR_SDK_NET_DISCONNECT: i32 = 9508;
/// Message body too large (server side).
pub const ERR_SVR_COMM_BODY_SIZE_LIMIT: i32 = 80002;
/// Server: the request could not be parsed.
pub const ERR_SVR_COMM_REQ_JSON_PARSE_FAILED: i32 = 60003;
/// Server: too many requests.
pub const ERR_SVR_COMM_REQ_FREQ_LIMIT: i32 = 60018;
/// Server: timed out or failed internally.
pub const ERR_SVR_COMM_REQUEST_TIMEOUT: i32 = 60008;
/// Server: the user id must be a valid string.
pub const ERR_SVR_COMM_INVALID_ID_FORMAT: i32 = 60015;
/// Server: the UserSig is empty.
pub const ERR_SVR_ACCOUNT_USERSIG_EMPTY: i32 = 70002;
/// Server: account internal error.
pub const ERR_SVR_ACCOUNT_INTERNAL_ERROR: i32 = 70500;
/// Server: UserSig expired.
pub const ERR_SVR_ACCOUNT_USERSIG_EXPIRED: i32 = 70001;
/// Server: UserSig could not be decoded.
pub const ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED: i32 = 70003;
/// Server: UserSig signature does not verify.
pub const ERR_SVR_ACCOUNT_USERSIG_MISMATCH_PUBLICKEY: i32 = 70009;
/// Server: UserSig issued for another user.
pub const ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID: i32 = 70013;
/// Server: UserSig issued for another SDKAppID.
pub const ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID: i32 = 70014;
/// Server: the request packet is invalid.
pub const ERR_SVR_MSG_PKG_PARSE_FAILED: i32 = 20001;
/// Server: the receiver user id is invalid.
pub const ERR_SVR_MSG_INVALID_ID: i32 = 20003;
/// Server: message service internal error.
pub const ERR_SVR_MSG_INTERNAL_ERROR1: i32 = 20005;
/// Timed out waiting for the server's reply.
pub const ERR_SDK_NET_WAIT_ACK_TIMEOUT: i32 = 9520;
/// No network when the request was made.
pub const ERR_REQ_NO_NET_ON_REQ: i32 = 6200;
/// The requested service (operation) does not exist.
pub const ERR_SVR_COMM_INVALID_SERVICE: i32 = 60020;
