/*
 * TIMCloud.h - opentim: functions exported by libImSDK (C API, 2019-2020 form).
 *
 * Part of opentim, an independent implementation of the Tencent Cloud IM
 * C API. Enum numbers and JSON key names are in TIMCloudDef.h, callback
 * types in TIMCloudCallback.h.
 *
 * Rules common to every function below:
 *
 *  - Strings are NUL-terminated UTF-8. A "json_..." argument holds a JSON
 *    document whose keys are the macros of TIMCloudDef.h; unknown keys are
 *    ignored. Where a JSON argument is optional, NULL means the same as "".
 *    A NULL identifier argument (user ID, UserSig, conversation ID) is
 *    rejected with TIM_ERR_PARAM.
 *  - Functions returning int return a TIMResult. TIM_SUCC only means that
 *    the request was accepted: the outcome arrives later through the
 *    TIMCommCallback given to the call, which is invoked once if (and only
 *    if) the call returned TIM_SUCC. A NULL TIMCommCallback is allowed; the
 *    outcome is then simply not reported.
 *  - Before TIMInit (and after TIMUninit) every function except
 *    TIMGetSDKVersion, TIMSetConfig and the callback setters returns
 *    TIM_ERR_SDKUNINIT.
 *  - All callbacks, whether completions or events, run on one internal
 *    library thread, never on the calling thread, and never two at a time.
 *    Keep them short. Calling API functions from inside a callback is
 *    allowed.
 *  - `const char*` values handed to a callback belong to the library and
 *    are valid only until the callback returns; copy what you need.
 *  - user_data is never dereferenced; it is given back unchanged as the
 *    last argument of the callback it was passed with.
 */
#ifndef TIM_CLOUD_H_
#define TIM_CLOUD_H_

#include "TIMCloudCallback.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ========================================================================== */
/* Initialisation and configuration                                          */
/* ========================================================================== */

/*
 * Start the library for the application sdk_app_id. Must be called before
 * any other function; it is synchronous and returns TIM_SUCC when the
 * library is ready (the connection to the server is then set up in the
 * background and reported through TIMNetworkStatusListenerCallback).
 *
 * json_sdk_config (SdkConfig object) may be NULL or "" for all defaults.
 * Keys:
 *   sdk_config_config_file_path (kTIMSdkConfigConfigFilePath), string:
 *       directory of the local cache (database of messages, conversations,
 *       login state). Created if missing. Default: $XDG_DATA_HOME/opentim,
 *       or ~/.local/share/opentim when XDG_DATA_HOME is not set.
 *   sdk_config_log_file_path (kTIMSdkConfigLogFilePath), string:
 *       directory of the log file opentim-sdk.log (lines at or above
 *       set_config_log_level, with their time). It is rotated at 8 MiB into
 *       opentim-sdk.log.1 ... .4, so it never takes more than 40 MiB.
 *       Default: the "log" directory of the local cache directory.
 *   opentim_server_address, string (opentim extension, no TIM constant):
 *       address of the opentim server as a WebSocket URL "ws://host:port";
 *       several URLs separated by commas are tried in turn. When the key
 *       is absent the environment variable OPENTIM_SERVER_ADDRESS is used
 *       (same syntax), and when that is unset too, ws://127.0.0.1:9300.
 * Other SdkConfig keys are accepted and ignored.
 *
 * Returns TIM_ERR_JSON if json_sdk_config is not a valid JSON object.
 */
TIM_DECL int TIMInit(uint64_t sdk_app_id, const char* json_sdk_config);

/*
 * Shut the library down: log out locally, close the connection and free
 * every resource. Completion callbacks of calls still pending are dropped
 * and no callback starts after TIMUninit has returned (it does not wait for
 * the callback thread, so it returns promptly even when called from the
 * thread an FFI host runs our callbacks on). Call it before
 * unloading the library. TIMInit may be called again afterwards.
 */
TIM_DECL int TIMUninit(void);

/*
 * Version string of the library. Works at any time, even before TIMInit.
 * The string is static: never NULL, never to be freed or modified.
 */
TIM_DECL const char* TIMGetSDKVersion(void);

/*
 * Change runtime settings. json_config is a SetConfig object; only the keys
 * present are changed (log levels, console logging, user config, proxies,
 * user-define data). NULL or "" changes nothing, which makes the call a pure
 * query. On completion cb receives the current configuration with the key
 * set the Tencent SDK answers with: set_config_log_level,
 * set_config_callback_log_level, set_config_is_log_output_console,
 * set_config_proxy_info and set_config_user_config, whose two info options
 * carry get_info_option_info_flag / _role_flag / _custom_array (those names
 * and the group_(member_)get_info_option_* names are both read on input). cb may be NULL. Works before TIMInit too (proxies
 * and user-define data are meant to be set before it).
 */
TIM_DECL int TIMSetConfig(const char* json_config, TIMCommCallback cb, const void* user_data);

/*
 * The server's clock, in seconds since 1970, estimated from the last login
 * reply (clock offset applied to the local clock). Before the first login it
 * is the local clock.
 */
TIM_DECL uint64_t TIMGetServerTime();

/*
 * Internal operations (json_param is a ReqeustParam object). Answered with 0
 * and a ReponseInfo naming the operation: internal_operation_set_ui_platform
 * (the tag is logged), internal_operation_set_env (opentim has one
 * environment, the server it is pointed at: response_set_env_res is always
 * false) and internal_operation_set_ipv6_prior (the address family follows
 * name resolution). Every other operation gets 6017 (ERR_INVALID_PARAMETERS)
 * with a text naming it. Returns TIM_ERR_JSON when json_param is not a JSON
 * object with request_internal_operation.
 */
TIM_DECL int callExperimentalAPI(const char* json_param, TIMCommCallback cb, const void* user_data);

/* ========================================================================== */
/* Login                                                                      */
/* ========================================================================== */

/*
 * Log in as user_id, proving identity with the signed ticket user_sig
 * (UserSig). Register the event callbacks (at least the new-message
 * receiver) before logging in: messages received while offline are
 * delivered right after login. On success json_params is "".
 * Typical failure codes: 70001 (UserSig expired), 6208 (kicked off by a
 * login elsewhere while this device was offline), 7501 (login already in
 * progress).
 */
TIM_DECL int TIMLogin(const char* user_id, const char* user_sig, TIMCommCallback cb, const void* user_data);

/*
 * End the current session (also to be used before logging in as another
 * user). On success json_params is "".
 */
TIM_DECL int TIMLogout(TIMCommCallback cb, const void* user_data);

/* The enum by its bare name, as the prototype below spells it (C needs the typedef). */
typedef enum TIMLoginStatus TIMLoginStatus;

/*
 * Where the login stands, at once: kTIMLoginStatus_Logining while TIMLogin
 * runs, kTIMLoginStatus_Logined once it succeeded (also while reconnecting),
 * kTIMLoginStatus_Logouting during TIMLogout, kTIMLoginStatus_UnLogined
 * otherwise (before TIMInit too).
 */
TIM_DECL TIMLoginStatus TIMGetLoginStatus();

/*
 * Copy the logged-in user id, NUL-terminated, into user_id_buffer, which
 * must hold at least 128 bytes. Returns TIM_SUCC, TIM_ERR_PARAM (NULL
 * buffer, or an id of 128 bytes or more), TIM_ERR_SDKUNINIT or
 * TIM_ERR_NOTLOGIN.
 */
TIM_DECL int TIMGetLoginUserID(char* user_id_buffer);

/* ========================================================================== */
/* Messages                                                                   */
/* ========================================================================== */

/*
 * Send a message. conv_id is the peer's user ID for kTIMConv_C2C or the
 * group ID for kTIMConv_Group; json_msg_param is a Message object whose
 * message_elem_array holds the elements (text, face, location, image,
 * sound, custom, file, video). Returns TIM_ERR_NOTLOGIN when no user is
 * logged in, TIM_ERR_CONV for another conversation type, TIM_ERR_JSON
 * for a malformed message. On success cb receives the Message as stored
 * (message_seq, message_rand, message_server_time, message_status ...).
 */
TIM_DECL int TIMMsgSendNewMsg(const char* conv_id, enum TIMConvType conv_type, const char* json_msg_param, TIMCommCallback cb, const void* user_data);

/*
 * Media elements. An image (image_elem_orig_path), sound (sound_elem_file_path),
 * file (file_elem_file_path) or video element (video_elem_video_path and its
 * snapshot video_elem_image_path) of a message being sent is uploaded to the
 * server first, its progress reported to TIMSetMsgElemUploadProgressCallback;
 * the Message of cb then carries the ids, URLs and sizes (for an image also
 * the large and thumbnail variants the server made, with their widths and
 * heights). A missing or empty file fails with 7004 / 7006, one over the
 * server's limit (28 MB for images and voice, 100 MB for files and video by
 * default) with 7005, an image that is not one with 6031, voice or video
 * that is not with 6016; the message is then kept as failed and can be sent
 * again. The local paths stay on this device.
 *
 * TIMMsgDownloadElemToPath downloads a received element's file (copy
 * msg_download_elem_param_url and the rest from the element; the URL of an
 * image's variant downloads that variant) to path: cb fires with code 0 and
 * a MsgDownloadElemResult as bytes arrive, and once more with every byte
 * once the file is in place (written under a temporary name, its length and
 * hash checked, then renamed). A failure fires once with its code: 6009 for
 * an expired or unknown URL (or a cut: call again and the download resumes
 * where it stopped), 6006 for a URL this server did not hand out.
 */
TIM_DECL int TIMMsgDownloadElemToPath(const char* json_download_elem_param, const char* path, TIMCommCallback cb, const void* user_data);

/*
 * Mark a conversation read, on the server: up to the message json_msg_param
 * (a Message with its message_seq, as the SDK handed it out), or, when it is
 * NULL or "", up to the conversation's newest message. The unread count of
 * the conversation follows on every device of this user (TIMConvEventCallback
 * with kTIMConvEvent_Update, TIMConvTotalUnreadMessageCountChangedCallback),
 * and the peer's devices get a read receipt (TIMMsgReadedReceiptCallback;
 * their copies of the messages carry message_is_peer_read). A NULL or ""
 * conv_id marks every conversation of conv_type read. On success json_params
 * is "". A mark never moves back: reporting an older message changes nothing.
 */
TIM_DECL int TIMMsgReportReaded(const char* conv_id, enum TIMConvType conv_type, const char* json_msg_param, TIMCommCallback cb, const void* user_data);

/*
 * A page of a conversation's history. json_get_msg_param (MsgGetMsgListParam;
 * NULL or "" for the defaults): msg_getmsglist_param_last_msg is the anchor,
 * a Message the SDK handed out (absent: from the newest message; the anchor
 * itself is left out; one without message_seq is TIM_ERR_PARAM),
 * msg_getmsglist_param_count how many (default 20, at most 100),
 * msg_getmsglist_param_is_forward true for newer messages (oldest first)
 * instead of older ones (newest first), and msg_getmsglist_param_is_remble
 * true to complete an older page the local cache cannot fill from the
 * server's history (the fetched messages are then cached). json_params is
 * the array of Message objects.
 */
TIM_DECL int TIMMsgGetMsgList(const char* conv_id, enum TIMConvType conv_type, const char* json_get_msg_param, TIMCommCallback cb, const void* user_data);

/*
 * The messages of conversation conv_id that json_msg_Locator_array (a JSON
 * array of MsgLocator objects, such as TIMMsgRevokeCallback delivers) names,
 * found in the local cache by message_locator_seq, in the order asked;
 * locators of messages this device does not have are left out. json_params
 * is the array of Message objects.
 */
TIM_DECL int TIMMsgFindByMsgLocatorList(const char* conv_id, enum TIMConvType conv_type, const char* json_msg_Locator_array, TIMCommCallback cb, const void* user_data);

/*
 * Recall a message this user sent: json_msg_param is the Message as the SDK
 * handed it out (its message_seq names it; TIM_ERR_PARAM without one). Only
 * the sender may recall, within the server's revoke_window_secs of sending
 * (default 120 s; later: 20016, ERR_SVR_MSG_REVOKE_TIME_LIMIT). The message
 * stays in history with message_status kTIMMsg_Revoked on every device of
 * both users, each told through TIMMsgRevokeCallback. On success
 * json_params is "". Recalling a message recalled already succeeds.
 */
TIM_DECL int TIMMsgRevoke(const char* conv_id, enum TIMConvType conv_type, const char* json_msg_param, TIMCommCallback cb, const void* user_data);

/*
 * Mark every conversation read (2021 API), as TIMMsgReportReaded does for
 * each one with unread messages. On success json_params is "".
 */
TIM_DECL int TIMMsgMarkAllMessageAsRead(TIMCommCallback cb, const void* user_data);

/*
 * Send a message as TIMMsgSendNewMsg does, and write its message ID (the
 * message_msg_id every Message the SDK hands out carries), NUL-terminated,
 * into message_id_buffer before returning. The buffer must hold at least
 * 128 bytes; it may be NULL.
 */
TIM_DECL int TIMMsgSendMessage(const char* conv_id, enum TIMConvType conv_type, const char* json_msg_param, char* message_id_buffer, TIMCommCallback cb, const void* user_data);

/*
 * Send a message as TIMMsgSendNewMsg does; msgid_cb is called first, with
 * code 0 and the message ID as its json_params string, then res_cb with the
 * result of the send. Both receive user_data.
 */
TIM_DECL int TIMMsgSendNewMsgEx(const char* conv_id, enum TIMConvType conv_type, const char* json_msg_param, TIMCommCallback msgid_cb, TIMCommCallback res_cb, const void* user_data);

/*
 * Cancel the send of message message_id while it has not left this device
 * (sent while offline, or waiting to be sent again): its send callback then
 * reports 8021 (ERR_SDK_SEND_MESSAGE_FAILED_WITH_CANCEL) and its status
 * becomes kTIMMsg_Cancel. A message already written to the server may be
 * stored there and is not cancelled: 8020 (ERR_SDK_INVALID_CANCEL_MESSAGE),
 * as for an unknown ID. On success json_params is "".
 */
TIM_DECL int TIMMsgCancelSend(const char* conv_id, enum TIMConvType conv_type, const char* message_id, TIMCommCallback cb, const void* user_data);

/*
 * The cached messages whose message_msg_id json_message_id_array (a JSON
 * array of strings) names, from any conversation, in the order asked; IDs
 * this device does not have are left out. json_params is the array of
 * Message objects.
 */
TIM_DECL int TIMMsgFindMessages(const char* json_message_id_array, TIMCommCallback cb, const void* user_data);

/*
 * Keep message_custom_int and message_custom_str of json_msg_param (a
 * Message as the SDK handed it out; its message_msg_id names it) with the
 * cached message. They stay on this device, are never sent, and survive
 * every later update of the message; TIMMsgUpdateCallback reports the
 * message. On success json_params is "".
 */
TIM_DECL int TIMMsgSetLocalCustomData(const char* json_msg_param, TIMCommCallback cb, const void* user_data);

/*
 * Keep a caller-built Message in conversation conv_id of this device without
 * sending it: status kTIMMsg_LocalImported, never unread, the
 * conversation's last message when newest. A message that carries a
 * message_msg_id replaces the one saved under that ID. On success
 * json_params is "".
 */
TIM_DECL int TIMMsgSaveMsg(const char* conv_id, enum TIMConvType conv_type, const char* json_msg_param, TIMCommCallback cb, const void* user_data);

/*
 * TIMMsgSaveMsg for each Message of the JSON array json_msg_array, in one
 * transaction. On success json_params is "".
 */
TIM_DECL int TIMMsgImportMsgList(const char* conv_id, enum TIMConvType conv_type, const char* json_msg_array, TIMCommCallback cb, const void* user_data);

/*
 * Send msg_batch_send_param_msg to every user of
 * msg_batch_send_param_identifier_array (1 to 500) as separate C2C
 * messages. json_params is an array of MsgBatchSendResult, one per
 * recipient in order: code 0 and the sent Message, or the code and text
 * that refused that recipient (the others are sent regardless).
 */
TIM_DECL int TIMMsgBatchSend(const char* json_batch_send_param, TIMCommCallback cb, const void* user_data);

/*
 * Delete from this device the message msg_delete_param_msg (a Message as
 * the SDK handed it out, named by message_msg_id) or, without it, every
 * message of the conversation. The server and other devices keep theirs;
 * msg_delete_param_is_remble is ignored (as since 5.0.6; TIMMsgListDelete
 * deletes everywhere). A deleted message stays deleted when it is synced or
 * fetched again. On success json_params is "".
 */
TIM_DECL int TIMMsgDelete(const char* conv_id, enum TIMConvType conv_type, const char* json_msgdel_param, TIMCommCallback cb, const void* user_data);

/*
 * Delete the messages of json_msg_array (Messages as the SDK handed them out;
 * at most the server's max_delete_messages, default 30, else 6017) for this
 * user: from the server's history and on every device of the user, each
 * told through its sync. The peer keeps theirs. Messages that never reached
 * the server are deleted on this device only. On success json_params is "".
 */
TIM_DECL int TIMMsgListDelete(const char* conv_id, enum TIMConvType conv_type, const char* json_msg_array, TIMCommCallback cb, const void* user_data);

/*
 * Search this device's cached messages (json_search_message_param is a
 * MessageSearchParam): up to 5 keywords, each found anywhere in a message's
 * text, custom, face, location or file element (any of them, or all with
 * TIMKeywordListMatchType_And; keywords of three characters or more use the
 * full-text index, shorter ones a scan of it), element types, senders, one
 * conversation, and a time window. With msg_search_param_conv_id,
 * json_params is a MessageSearchResult whose total count is the number of
 * matching messages and whose one item holds them (paged by
 * msg_search_param_page_index / _page_size, 0 meaning all); without it, the
 * count is of matching conversations and each item gives one conversation's
 * number of matches, with the message when there is exactly one. Newest
 * first. 6017 without keywords, types or senders, or with more than 5
 * keywords.
 */
TIM_DECL int TIMMsgSearchLocalMessages(const char* json_search_message_param, TIMCommCallback cb, const void* user_data);

/*
 * Set how this user receives C2C messages from each user of
 * json_identifier_array (a JSON array of 1 to 30 user IDs; the server's
 * max_receive_opt_users): kTIMRecvMsgOpt_Receive, kTIMRecvMsgOpt_Not_Receive
 * (the server stores nothing of theirs for this user: no new message, no
 * history, on any device; their sends still succeed) or
 * kTIMRecvMsgOpt_Not_Notify (received as usual; this server sends no offline
 * push). Kept on the server for every device. TIM_ERR_PARAM for an empty
 * array or an unknown option; 6017 past the limit. On success json_params
 * is "".
 */
TIM_DECL int TIMMsgSetC2CReceiveMessageOpt(const char* json_identifier_array, enum TIMReceiveMessageOpt opt, TIMCommCallback cb, const void* user_data);

/*
 * How this user receives C2C messages from each user of
 * json_identifier_array: json_params is an array of GetC2CRecvMsgOptResult,
 * in the order asked (kTIMRecvMsgOpt_Receive for users never set).
 */
TIM_DECL int TIMMsgGetC2CReceiveMessageOpt(const char* json_identifier_array, TIMCommCallback cb, const void* user_data);

/*
 * The messages of a merged (forwarded bundle) message. Sending a Message
 * with a merger element (kTIMElem_Merge, 12) whose merge_elem_message_array
 * holds the messages (1 to the server's max_merger_messages, default 300;
 * merge_elem_compatible_text must not be empty) keeps them on the server
 * first; what is sent and received carries merge_elem_title,
 * merge_elem_abstract_array, merge_elem_compatible_text and the bundle's key
 * (merge_elem_relay_json_key, also in merge_elem_relay_pb_key). Given such
 * a message (json_single_msg), json_params is the array of the bundled
 * Messages. TIM_ERR_PARAM when it has no merger element; 6017 for a key the
 * server does not know. Whoever holds the message (the key is 128 random
 * bits) may fetch the bundle.
 */
TIM_DECL int TIMMsgDownloadMergerMessage(const char* json_single_msg, TIMCommCallback cb, const void* user_data);

/*
 * Clear the conversation's history for this user, on the server and on
 * every device of the user; the peer keeps theirs. The conversation stays
 * in the list, read, without a last message. On success json_params is "".
 */
TIM_DECL int TIMMsgClearHistoryMessage(const char* conv_id, enum TIMConvType conv_type, TIMCommCallback cb, const void* user_data);

/* ========================================================================== */
/* Conversations                                                              */
/* ========================================================================== */

/*
 * The conversation list, from the local cache (works offline): a JSON array
 * of ConvInfo, most recently active first, each with its last message and
 * unread count. A device that has never seen the account gets the list from
 * the server when it logs in (announced with kTIMConvEvent_Add), without
 * downloading every message.
 */
TIM_DECL int TIMConvGetConvList(TIMCommCallback cb, const void* user_data);

/*
 * The conversations named in json_get_conv_list_param, a JSON array of
 * GetConversationListParam objects (2021 API); json_params is the array of
 * the ConvInfo found in the local cache, in the order asked (conversations
 * not found are left out). TIM_ERR_PARAM for NULL, TIM_ERR_JSON when the
 * argument is not such an array.
 */
TIM_DECL int TIMConvGetConvInfo(const char* json_get_conv_list_param, TIMCommCallback cb, const void* user_data);

/*
 * The conversation with conv_id (a user ID for kTIMConv_C2C), added to this
 * device's list when it is not there yet (empty, active now; reported with
 * kTIMConvEvent_Add). json_params is its ConvInfo.
 */
TIM_DECL int TIMConvCreate(const char* conv_id, enum TIMConvType conv_type, TIMCommCallback cb, const void* user_data);

/*
 * Take a conversation off the list on every device of this user (each
 * reports kTIMConvEvent_Del; a device new to the account does not list it).
 * Its messages stay readable through TIMMsgGetMsgList, what was unread
 * counts as read, and a new message brings the conversation back. 6004
 * (ERR_INVALID_CONVERSATION) when the conversation is not in the list. On
 * success json_params is "".
 */
TIM_DECL int TIMConvDelete(const char* conv_id, enum TIMConvType conv_type, TIMCommCallback cb, const void* user_data);

/*
 * Pin a conversation (is_pinned true) to the top of the list, or unpin it,
 * on every device of this user (each reports kTIMConvEvent_Update). A pinned
 * conversation's ConvInfo carries "conv_is_pinned": true; an unpinned one
 * leaves the key out. The list is pinned conversations first, then by
 * conv_active_time. 6004 (ERR_INVALID_CONVERSATION) when the conversation is
 * not in the list. On success json_params is "".
 */
TIM_DECL int TIMConvPinConversation(const char* conv_id, enum TIMConvType conv_type, bool is_pinned, TIMCommCallback cb, const void* user_data);

/*
 * Store a draft (a Draft object: draft_msg, draft_user_define,
 * draft_edit_time) on a conversation of the list, kept in this device's
 * cache across restarts; ConvInfo then carries conv_is_has_draft true and
 * conv_draft. Synchronous: TIM_SUCC, TIM_ERR_CONV when the conversation is
 * not in the list, TIM_ERR_JSON / TIM_ERR_PARAM for a bad argument,
 * TIM_ERR_NOTLOGIN before login. The conversation is reported updated.
 */
TIM_DECL int TIMConvSetDraft(const char* conv_id, enum TIMConvType conv_type, const char* json_draft_param);

/* Drop the conversation's draft; the same return values as TIMConvSetDraft. */
TIM_DECL int TIMConvCancelDraft(const char* conv_id, enum TIMConvType conv_type);

/*
 * The sum of the unread counts of all conversations (2021 API), as a
 * GetTotalUnreadNumberResult object.
 */
TIM_DECL int TIMConvGetTotalUnreadMessageCount(TIMCommCallback cb, const void* user_data);

/* ========================================================================== */
/* Groups                                                                     */
/* ========================================================================== */

/*
 * Groups in this version: create, dismiss, join (at once or by request),
 * leave, invite, remove, change profiles and memberships, decide requests
 * and invitations, and read profiles and memberships. Who may do what is
 * decided on the server from one table per group type (Private: run by its
 * members, joined by invitation; Public and ChatRoom: the owner and admins; AVChatRoom and BChatRoom: broadcast rooms
 * without invitations, kicks or roles). A refusal comes back as the
 * callback's code: 10007 (ERR_SVR_GROUP_PERMISSION_DENY), 10009 (the owner
 * cannot quit), 10010 (no such group), 10015 (bad group id), 10004 (bad
 * parameters), 10014 (too many members), 10021 (id taken).
 *
 * Group messages go through the message API with conversation type
 * kTIMConv_Group: stored once in the group's stream, pushed to the members
 * online and caught up by the others at login; history starts at joining;
 * unread counts and read marks are per member; a member deletes messages,
 * clears the history, pins the conversation or takes it off the list for
 * themselves (every device of theirs follows). A muted member's send fails
 * with 10017, a non-member's with 10007, a group over 40 messages a second
 * with 10023. A recall is the sender's within the recall window (10031
 * after it) or an owner's or admin's at any time (else 10032). Membership
 * changes add a tip (GroupTipsElem, sender "@TIM#SYSTEM") to the stream,
 * also given to the TIMSetGroupTipsEventCallback receiver. Notices to one
 * user (GroupReportElem: created, invited, removed, dismissed, requests and
 * their answers, admin granted or taken) arrive as messages of conversation
 * type kTIMConv_System from "@TIM#SYSTEM", once on every device, also those
 * offline at the time.
 */

/*
 * Create a group owned by this user from json_group_create_param
 * (CreateGroupParam): create_group_param_group_name is required (at most 30
 * bytes); the type defaults to kTIMGroup_Public, the add option to
 * kTIMGroupAddOpt_Any; without create_group_param_group_id the server makes
 * one starting with "@TGS#" (an id of one's own must not). The members of
 * create_group_param_group_member_array join at once. json_params is a
 * CreateGroupResult.
 */
TIM_DECL int TIMGroupCreate(const char* json_group_create_param, TIMCommCallback cb, const void* user_data);

/* Dismiss a group: its owner, in any type but Private. On success json_params is "". */
TIM_DECL int TIMGroupDelete(const char* group_id, TIMCommCallback cb, const void* user_data);

/*
 * Leave a group: any member of a Private group, anyone but the owner of the
 * other types (10009). On success json_params is "".
 */
TIM_DECL int TIMGroupQuit(const char* group_id, TIMCommCallback cb, const void* user_data);

/*
 * Add the users of json_group_invite_param (GroupInviteMemberParam, 1 to 500
 * users) to a group at once: any member of a Private group, the owner and
 * admins of Public and ChatRoom groups (broadcast rooms have no
 * invitations). json_params is an array of GroupInviteMemberResult in the
 * order asked: kTIMGroupMember_HandledSuc (added), kTIMGroupMember_Included
 * (a member already) or kTIMGroupMember_HandledErr (an invalid id, the
 * group is full, or the user is in as many groups as one may be: 1000, the
 * server's max_joined_groups). Into a Public or ChatRoom group whose add
 * option is kTIMGroupAddOpt_Auth, invitees are asked first
 * (kTIMGroupMember_Invited; they accept with TIMGroupHandlePendency).
 */
TIM_DECL int TIMGroupInviteMember(const char* json_group_invite_param, TIMCommCallback cb, const void* user_data);

/*
 * Remove the users of json_group_delete_param (GroupDeleteMemberParam) from
 * a group: the owner of a Private group, the owner and admins of Public and
 * ChatRoom groups, each only members of a lower role (admins remove members,
 * the owner admins and members). json_params is an array of
 * GroupDeleteMemberResult: kTIMGroupMember_HandledSuc or
 * kTIMGroupMember_HandledErr.
 */
TIM_DECL int TIMGroupDeleteMember(const char* json_group_delete_param, TIMCommCallback cb, const void* user_data);

/*
 * Members of a group, for its members (GroupGetMemberInfoListParam): the
 * members named, or a page (100, the server's group_member_page) in user id
 * order from group_get_members_info_list_param_next_seq (0 first; repeat
 * with the answer's group_get_memeber_info_list_result_next_seq until it is
 * 0), kept by the option's role flag (0 all, Owner 1, Admin 2, Member 4).
 * json_params is a GroupGetMemberInfoListResult.
 */
TIM_DECL int TIMGroupGetMemberInfoList(const char* json_group_getmeminfos_param, TIMCommCallback cb, const void* user_data);

/* The groups this user is a member of: json_params is an array of GroupBaseInfo. */
TIM_DECL int TIMGroupGetJoinedGroupList(TIMCommCallback cb, const void* user_data);

/*
 * The profiles of the groups of json_group_getinfo_param (a JSON array of 1
 * to 50 group IDs): json_params is an array of GetGroupInfoResult in the
 * order asked, each with its own code (10010 for a group that does not
 * exist, 10007 for a Private group this user is not in).
 */
TIM_DECL int TIMGroupGetGroupInfoList(const char* json_group_getinfo_param, TIMCommCallback cb, const void* user_data);

/*
 * Join a group. Public and ChatRoom groups follow their add option:
 * kTIMGroupAddOpt_Any joins at once, kTIMGroupAddOpt_Auth sends a request
 * (hello_msg, optional, is its text) that the owner and admins see as a
 * GroupReportElem notice (kTIMGroupReport_AddRequest) and in
 * TIMGroupGetPendencyList, kTIMGroupAddOpt_Forbid refuses with 10007.
 * Private groups are joined by invitation only (10007); broadcast rooms
 * freely. An AVChatRoom is entered by this login without becoming a member
 * (no member row, no cap, no history): its messages reach it while it is in
 * the room, it is entered again after a reconnect, and TIMGroupQuit leaves
 * it. A member already gets 10013, a full group 10014, a user in as many
 * groups as one may be 10037. json_params is "".
 */
TIM_DECL int TIMGroupJoin(const char* group_id, const char* hello_msg, TIMCommCallback cb, const void* user_data);

/*
 * Change what group_modify_info_param_modify_flag names of a group's profile
 * (GroupModifyInfoParam): name, notification, introduction, face URL (with
 * their limits), add option, member limit (not below the member count),
 * visible, searchable and custom fields (set over the stored ones; at most
 * 10, key 16 bytes, value 512) by the owner and admins, or any member of a
 * Private group; mute-all (kTIMGroupModifyInfoFlag_ShutupAll) by the owner
 * and admins. kTIMGroupModifyInfoFlag_Owner, alone, hands the group to the
 * member group_modify_info_param_owner (the owner only, not in broadcast
 * rooms). Every change adds a kTIMGroupTip_GroupInfoChange tip. Bad input
 * gets 10004, a caller without the right 10007. json_params is "".
 */
TIM_DECL int TIMGroupModifyGroupInfo(const char* json_group_modifyinfo_param, TIMCommCallback cb, const void* user_data);

/*
 * Change what group_modify_member_info_modify_flag names of one membership
 * (GroupModifyMemberInfoParam): one's own message option, name card (at most
 * 50 bytes) and custom fields (at most 5); the role (Admin or Normal: the
 * owner of a Public or ChatRoom group), mute (shutup_time seconds from now,
 * 0 unmutes: owner and admins), name card and custom fields of a member of a
 * lower role. A muted member's sends fail with 10017 until the time passes.
 * Role changes add kTIMGroupTip_SetAdmin / kTIMGroupTip_CancelAdmin tips and
 * a notice to the member; mute and profile changes add
 * kTIMGroupTip_MemberInfoChange. json_params is "".
 */
TIM_DECL int TIMGroupModifyMemberInfo(const char* json_group_modifymeminfo_param, TIMCommCallback cb, const void* user_data);

/*
 * The requests to join (of the groups this user owns or runs) and the
 * invitations (into Public and ChatRoom groups whose add option is
 * kTIMGroupAddOpt_Auth) this user decides, newest first: json_params is a
 * GroupPendencyResult. Page from group_pendency_option_start_time 0, then the
 * answer's group_pendency_result_next_start_time until it is 0; a page holds
 * at most 20 (the server's group_pendency_page; max_limited may ask fewer).
 * Decided items stay in the list with their handled flag set.
 */
TIM_DECL int TIMGroupGetPendencyList(const char* json_group_getpendence_list_param, TIMCommCallback cb, const void* user_data);

/*
 * Mark this user's pendencies added up to time_stamp seen (seconds, or
 * milliseconds as group_pendency_add_time is): the list's unread count drops.
 * json_params is "".
 */
TIM_DECL int TIMGroupReportPendencyReaded(uint64_t time_stamp, TIMCommCallback cb, const void* user_data);

/*
 * Accept or refuse one pendency (GroupHandlePendencyParam, its pendency as
 * TIMGroupGetPendencyList gave it): a request by an owner or admin, an
 * invitation by the invitee. Accepting makes the user a member (a
 * kTIMGroupTip_Invite tip); the requester or inviter gets a notice
 * (kTIMGroupReport_AddAccept / AddRefuse / InviteAccept / InviteRefuse). A
 * pendency decided already gets 10024. json_params is "".
 */
TIM_DECL int TIMGroupHandlePendency(const char* json_group_handle_pendency_param, TIMCommCallback cb, const void* user_data);

/*
 * Group attributes (2021): a small key/value set of a group that any member
 * (an AVChatRoom: anyone in the room) reads and changes, at most 16 keys of
 * up to 32 bytes, values of up to 4096 bytes, 16384 bytes in all (else
 * 10004). json_group_atrributes is an array of GroupAttributes, json_keys an
 * array of key strings. Init replaces the whole set, Set adds or overwrites
 * keys, Delete removes keys; each change reaches the members online through
 * TIMSetGroupAttributeChangedCallback with the whole new set. Get answers an
 * array of GroupAttributes: those of json_keys, or all when it is NULL, ""
 * or []. The changes answer json_params "".
 */
TIM_DECL int TIMGroupInitGroupAttributes(const char* group_id, const char* json_group_atrributes, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMGroupSetGroupAttributes(const char* group_id, const char* json_group_atrributes, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMGroupDeleteGroupAttributes(const char* group_id, const char* json_keys, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMGroupGetGroupAttributes(const char* group_id, const char* json_keys, TIMCommCallback cb, const void* user_data);

/*
 * How many of a group's members have a connection now, on every node of a
 * cluster (an AVChatRoom: how many are in the room; not only AVChatRoom
 * groups, unlike the hosted service): json_params is a
 * GroupGetOnlineMemberCountResult. For members of the group (10007).
 */
TIM_DECL int TIMGroupGetOnlineMemberCount(const char* group_id, TIMCommCallback cb, const void* user_data);

/*
 * Search this user's groups (GroupSearchParam): those whose id or name (as
 * group_search_params_field_list says, both when empty) contains any of the
 * 1 to 5 keywords, ignoring case (else 6017). json_params is an array of
 * GroupDetailInfo.
 */
TIM_DECL int TIMGroupSearchGroups(const char* json_group_search_groups_param, TIMCommCallback cb, const void* user_data);

/*
 * Search the members of this user's groups (GroupMemberSearchParam: the
 * groups named, or all): those whose id or name card contains any keyword,
 * ignoring case (nicknames and remarks are not matched). json_params is an
 * array of GroupSearchGroupMembersdResult, one per group with matches.
 */
TIM_DECL int TIMGroupSearchGroupMembers(const char* json_group_search_group_members_param, TIMCommCallback cb, const void* user_data);

/*
 * Set how this user receives a group's messages (TIMReceiveMessageOpt,
 * numbered as TIMGroupReceiveMessageOpt): kept as the member's message
 * option and read back in GroupBaseInfo. json_params is "".
 */
TIM_DECL int TIMMsgSetGroupReceiveMessageOpt(const char* group_id, enum TIMReceiveMessageOpt opt, TIMCommCallback cb, const void* user_data);

/*
 * Group read receipts (6.0). A group message sent with
 * message_need_read_receipt true collects receipts: its readers report
 * reading it with TIMMsgSendGroupMessageReceipts (json_msg_array: the
 * messages as received; each must ask for receipts and be another's, else
 * 10004); its sender's devices online hear the new counts through
 * TIMSetMsgGroupMessageReceiptCallback (an array of GroupMessageReceipt).
 * TIMMsgGetGroupMessageReceipts answers the counts of messages (an array of
 * GroupMessageReceipt); TIMMsgGetGroupMessageReadMembers pages through the
 * members who read one (TIM_GROUP_MESSAGE_READ_MEMBERS_FILTER_READ) or have
 * not (…_UNREAD: members who joined before it, its sender left out), count
 * at most 100 a page, next_seq 0 first. Its callback has no error code: a
 * request the server refuses answers an empty last page.
 */
TIM_DECL int TIMMsgSendGroupMessageReceipts(const char* json_msg_array, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMMsgGetGroupMessageReceipts(const char* json_msg_array, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMMsgGetGroupMessageReadMembers(const char* json_msg, enum TIMGroupMessageReadMembersFilter filter, uint64_t next_seq, uint32_t count, TIMMsgGroupReadMembersCallback cb, const void* user_data);

/* ========================================================================== */
/* Profiles                                                                   */
/* ========================================================================== */

/*
 * The profiles of the users of json_get_user_profile_list_param
 * (FriendShipGetProfileListParam, 1 to 100 users): json_params is an array of
 * UserProfile in the order asked (a user who never set theirs has the empty
 * one). Profiles cached on this device are answered from the cache unless
 * friendship_getprofilelist_param_force_update is true; what the server
 * answers is cached.
 */
TIM_DECL int TIMProfileGetUserProfileList(const char* json_get_user_profile_list_param, TIMCommCallback cb, const void* user_data);

/*
 * Change fields of this user's profile (UserProfileItem: only the keys
 * present change). Texts (nickname, face URL, signature, location) hold at
 * most 500 bytes (else 40601); gender 0 to 2 and add permission 0 to 3 (else
 * 40605); custom fields are set over the stored ones, their keys with or
 * without the "Tag_Profile_Custom_" prefix (at most 8 bytes after it),
 * values of up to 500 bytes, at most 20 fields (else 40001 / 40601).
 * json_params is "".
 */
TIM_DECL int TIMProfileModifySelfUserProfile(const char* json_modify_self_user_profile_param, TIMCommCallback cb, const void* user_data);

/* ========================================================================== */
/* Relationships                                                              */
/* ========================================================================== */

/*
 * Friends. Every call answers through cb; the server decides each rule and
 * batch calls answer one FriendResult per user, in the order asked (code 0,
 * or 30001 with a desc naming what is wrong, e.g.
 * "Err_SNS_GroupUpdate_Friend_Not_Exist" for a user who is not a friend).
 * Each change reaches every device of each user concerned at once, and a
 * device that was offline at its next login, exactly once (the friendship
 * callbacks below, and a FriendChangeElem message of the system
 * conversation).
 *
 * AddFriend (FriendshipAddFriendParam; friend type 1 two-way by default)
 * answers one FriendResult: 0 when added; 30539 when the target's add
 * permission asks for confirmation (Unknown counts as NeedConfirm) and the
 * request now waits for their answer; 30516 when they accept no requests;
 * 30515 / 30525 when the target is in this user's blacklist / this user is in
 * theirs; 30003 for an id that never existed; 30010 / 30014 when this user /
 * the target has 3000 friends; 30012 when the target has 100 requests
 * waiting. A target who already has this user as a friend needs no
 * confirmation. HandleFriendAddRequest (FriendRespone): agree 0 (the
 * requester gets this user as a friend), agree-and-add 1 (both ways),
 * reject 2. DeleteFriend: friend type 0 removes from this user's list only,
 * 1 from both. ModifyFriendProfile: remark (at most 96 bytes), friend
 * groups (created when new), custom fields (keys with or without
 * "Tag_SNS_Custom_"; "" removes one); json_params "". CheckFriendType:
 * relation 0 none, 1 this user has them, 2 they have this user, 3 both (a
 * one-way check reports 0 or 1).
 *
 * GetFriendProfileList, GetFriendGroupList, GetPendencyList, SearchFriends
 * and GetBlackList answer from this device's copy of the lists: fetched
 * whole at the first such call of a login, then only what changed.
 * GetFriendGroupList takes a JSON array of names (NULL or [] for all).
 * GetPendencyList pages newest first: start_seq 0 first, then the
 * pendency_page_current_seq answered (0 when there are no more);
 * limited_size 0 for all. SearchFriends matches 1 to 5 keywords, ignoring
 * case, in the id (1), nickname (2) and remark (4) fields asked (all when
 * none), from an index of the device's friends. ReportPendencyReaded(0)
 * marks every incoming request read.
 *
 * Custom fields in a FriendProfile and its UserProfile (and in
 * TIMProfileGetUserProfileList's answer) are written under
 * "friend_profile_item_custom_string_array" and
 * "user_profile_item_custom_string_array", as the 2019-2020 SDK wrote them;
 * both these and the later keys without "_item_" are read. Either key is
 * absent when there are no custom fields.
 */
TIM_DECL int TIMFriendshipGetFriendProfileList(TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipAddFriend(const char* json_add_friend_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipHandleFriendAddRequest(const char* json_handle_friend_add_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipModifyFriendProfile(const char* json_modify_friend_info_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipDeleteFriend(const char* json_delete_friend_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipCheckFriendType(const char* json_check_friend_list_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipCreateFriendGroup(const char* json_create_friend_group_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipGetFriendGroupList(const char* json_get_friend_group_list_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipModifyFriendGroup(const char* json_modify_friend_group_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipDeleteFriendGroup(const char* json_delete_friend_group_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipGetPendencyList(const char* json_get_pendency_list_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipDeletePendency(const char* json_delete_pendency_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipReportPendencyReaded(uint64_t time_stamp, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipSearchFriends(const char *json_search_friends_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipGetFriendsInfo(const char *json_get_friends_info_param, TIMCommCallback cb, const void* user_data);

/*
 * Blacklists. A blocked user's C2C messages and friend requests to this user
 * fail with 20007 (ERR_SVR_MSG_IN_PEER_BLACKLIST) and 30525 until they are
 * unblocked; blocking ends a friendship both ways and drops the requests
 * between the two. Add and delete take a JSON array of 1 to 100 user ids and
 * answer an array of FriendResult in the order asked: code 0 "OK", 30001 for
 * an invalid id, oneself, or (on delete) a user not in the list, 30013 when
 * the list already holds 1000 users. Get answers an array of FriendProfile,
 * oldest first.
 */
TIM_DECL int TIMFriendshipAddToBlackList(const char* json_add_to_blacklist_param, TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipGetBlackList(TIMCommCallback cb, const void* user_data);
TIM_DECL int TIMFriendshipDeleteFromBlackList(const char* json_delete_from_blacklist_param, TIMCommCallback cb, const void* user_data);

/* ========================================================================== */
/* Event callbacks                                                            */
/* ========================================================================== */

/*
 * Add a receiver of new messages. Several receivers may be registered; each
 * is called with the user_data it was added with. Adding NULL does nothing.
 */
TIM_DECL void TIMAddRecvNewMsgCallback(TIMRecvNewMsgCallback cb, const void* user_data);

/*
 * Remove the receiver(s) registered with the function pointer cb.
 * Removing NULL or an unknown pointer does nothing.
 */
TIM_DECL void TIMRemoveRecvNewMsgCallback(TIMRecvNewMsgCallback cb);

/*
 * The TIMSet...Callback functions below each hold one callback: a new call
 * replaces the previous callback and user_data, and NULL unregisters it.
 */

/*
 * Conversations that appear or change on this device: conv_event is
 * kTIMConvEvent_Add for a conversation seen for the first time (its first
 * message) and kTIMConvEvent_Update when one changes (a new message, the unread
 * count); json_conv_array is a JSON array of ConvInfo objects.
 */
TIM_DECL void TIMSetConvEventCallback(TIMConvEventCallback cb, const void* user_data);

/*
 * Read receipts: the peer of a C2C conversation read this user's messages
 * (on any of the peer's devices). json_msg_readed_receipt_array is a JSON
 * array of MessageReceipt objects (conversation and time of the read).
 */
TIM_DECL void TIMSetMsgReadedReceiptCallback(TIMMsgReadedReceiptCallback cb, const void* user_data);

/*
 * Messages were recalled by their sender: json_msg_locator_array is a JSON
 * array of MsgLocator objects (message_locator_is_revoked true). Every device
 * of both users hears of each recall once, the one that called TIMMsgRevoke
 * too (message_locator_is_self tells the sender's devices).
 */
TIM_DECL void TIMSetMsgRevokeCallback(TIMMsgRevokeCallback cb, const void* user_data);

/*
 * Cached messages changed after they were reported: recalled, failed or
 * cancelled while sending, or given local custom data. json_msg_array is a
 * JSON array of the Message objects as they now are.
 */
TIM_DECL void TIMSetMsgUpdateCallback(TIMMsgUpdateCallback cb, const void* user_data);

/*
 * Upload progress of the media elements of messages being sent: json_msg is
 * the Message, index the element's place in message_elem_array, cur_size of
 * total_size bytes are on the server; the last report of an element has
 * cur_size == total_size.
 */
TIM_DECL void TIMSetMsgElemUploadProgressCallback(TIMMsgElemUploadProgressCallback cb, const void* user_data);

/*
 * Receive the group tips that arrive: json_group_tip_array is an array of
 * GroupTipsElem (each also comes as a message to the new-message receivers).
 */
TIM_DECL void TIMSetGroupTipsEventCallback(TIMGroupTipsEventCallback cb, const void* user_data);

/* Receive every change of the attributes of this user's groups (2021). */
TIM_DECL void TIMSetGroupAttributeChangedCallback(TIMGroupAttributeChangedCallback cb, const void* user_data);

/*
 * Friendship callbacks, on every device of the users concerned (and once, at
 * its next login, on a device that was offline): friends added / deleted
 * (JSON arrays of ids), friend data changed (an array of FriendProfileUpdate;
 * a friend's own profile change comes with an empty item), friend requests
 * received (an array of FriendAddPendency), requests removed (ids, 2021) and
 * incoming requests read (2021). They are told after this device's copy of
 * the lists follows the change.
 */
TIM_DECL void TIMSetOnAddFriendCallback(TIMOnAddFriendCallback cb, const void* user_data);
TIM_DECL void TIMSetOnDeleteFriendCallback(TIMOnDeleteFriendCallback cb, const void* user_data);
TIM_DECL void TIMSetUpdateFriendProfileCallback(TIMUpdateFriendProfileCallback cb, const void* user_data);
TIM_DECL void TIMSetFriendAddRequestCallback(TIMFriendAddRequestCallback cb, const void* user_data);
TIM_DECL void TIMSetFriendApplicationListDeletedCallback(TIMFriendApplicationListDeletedCallback cb, const void* user_data);
TIM_DECL void TIMSetFriendApplicationListReadCallback(TIMFriendApplicationListReadCallback cb, const void* user_data);

/* Hear of users added to / removed from this user's blacklist (2021). */
TIM_DECL void TIMSetFriendBlackListAddedCallback(TIMFriendBlackListAddedCallback cb, const void* user_data);
TIM_DECL void TIMSetFriendBlackListDeletedCallback(TIMFriendBlackListDeletedCallback cb, const void* user_data);

/* Hear of reads of this user's group messages that asked for receipts (6.0). */
TIM_DECL void TIMSetMsgGroupMessageReceiptCallback(TIMMsgGroupReadReceiptCallback cb, const void* user_data);

/*
 * The total unread count of all conversations changed (a message arrived, a
 * conversation was read here or on another device of this user) (2021 API).
 */
TIM_DECL void TIMSetConvTotalUnreadMessageCountChangedCallback(TIMConvTotalUnreadMessageCountChangedCallback cb, const void* user_data);

/* Connection state changes between the library and the server. */
TIM_DECL void TIMSetNetworkStatusListenerCallback(TIMNetworkStatusListenerCallback cb, const void* user_data);

/* This session was kicked because the account logged in on another device. */
TIM_DECL void TIMSetKickedOfflineCallback(TIMKickedOfflineCallback cb, const void* user_data);

/* The UserSig used for the current session has expired. */
TIM_DECL void TIMSetUserSigExpiredCallback(TIMUserSigExpiredCallback cb, const void* user_data);

/*
 * Receive the library's log lines at or above set_config_callback_log_level
 * (see TIMSetConfig), on the callback thread. They come whether or not the
 * host process installed a logging subscriber of its own.
 */
TIM_DECL void TIMSetLogCallback(TIMLogCallback cb, const void* user_data);

#ifdef __cplusplus
}
#endif

#endif /* TIM_CLOUD_H_ */
