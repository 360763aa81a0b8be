/*
 * TIMCloudCallback.h - opentim: function-pointer types of the libImSDK C API.
 *
 * Every callback gets back, as its last argument, the user_data pointer that
 * was registered together with it; the library never dereferences it.
 * All callbacks run on the library's single internal callback thread (never
 * on the caller's thread), one at a time. Every `const char*` argument is a
 * NUL-terminated UTF-8 string owned by the library and valid only until the
 * callback returns: copy it if you need it later. JSON documents use the key
 * names defined in TIMCloudDef.h.
 */
#ifndef TIM_CLOUD_CALLBACK_H_
#define TIM_CLOUD_CALLBACK_H_

#include "TIMCloudDef.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Events pushed by the library (registered with the TIMSet... / TIMAdd... functions) ---- */

/* New messages arrived (or became known locally, e.g. while syncing).
   json_msg_array: JSON array of Message objects. */
typedef void (*TIMRecvNewMsgCallback)(const char* json_msg_array, const void* user_data);

/* A peer reported one-to-one messages as read.
   json_msg_readed_receipt_array: JSON array of MessageReceipt objects. */
typedef void (*TIMMsgReadedReceiptCallback)(const char* json_msg_readed_receipt_array, const void* user_data);

/* Messages were recalled by their sender.
   json_msg_locator_array: JSON array of MsgLocator objects. */
typedef void (*TIMMsgRevokeCallback)(const char* json_msg_locator_array, const void* user_data);

/* Upload progress of a file-carrying element of an outgoing message.
   json_msg: the Message being sent; index: position of the element in its
   message_elem_array; cur_size / total_size: bytes uploaded so far / in all. */
typedef void (*TIMMsgElemUploadProgressCallback)(const char* json_msg, uint32_t index, uint32_t cur_size, uint32_t total_size, const void* user_data);

/* Group tips (joins, quits, kicks, admin changes, group or member info
   changes) delivered to the members of a group.
   json_group_tip_array: JSON array of GroupTipsElem objects. */
typedef void (*TIMGroupTipsEventCallback)(const char* json_group_tip_array, const void* user_data);

/* Conversations were added, deleted or updated.
   conv_event: what happened; json_conv_array: JSON array of ConvInfo objects. */
typedef void (*TIMConvEventCallback)(enum TIMConvEvent conv_event, const char* json_conv_array, const void* user_data);

/* State of the connection between the library and the server changed.
   code / desc: error code (TIMErrCode) and text when the change is a failure. */
typedef void (*TIMNetworkStatusListenerCallback)(enum TIMNetworkStatus status, int32_t code, const char* desc, const void* user_data);

/* This session was kicked offline because the same account logged in elsewhere. */
typedef void (*TIMKickedOfflineCallback)(const void* user_data);

/* The UserSig of the current session expired; log in again with a new one. */
typedef void (*TIMUserSigExpiredCallback)(const void* user_data);

/* Friends were added from another device of the same account.
   json_identifier_array: JSON array of user ID strings. */
typedef void (*TIMOnAddFriendCallback)(const char* json_identifier_array, const void* user_data);

/* Friends were deleted from another device of the same account.
   json_identifier_array: JSON array of user ID strings. */
typedef void (*TIMOnDeleteFriendCallback)(const char* json_identifier_array, const void* user_data);

/* Friend data (remark, group, custom fields) changed.
   json_friend_profile_update_array: JSON array of FriendProfileUpdate objects. */
typedef void (*TIMUpdateFriendProfileCallback)(const char* json_friend_profile_update_array, const void* user_data);

/* Somebody asked to become a friend and confirmation is required.
   json_friend_add_request_pendency_array: JSON array of FriendAddPendency objects. */
typedef void (*TIMFriendAddRequestCallback)(const char* json_friend_add_request_pendency_array, const void* user_data);

/* One library log line at or above the callback log level
   (set_config_callback_log_level of TIMSetConfig). */
typedef void (*TIMLogCallback)(enum TIMLogLevel level, const char* log, const void* user_data);

/* Messages already delivered were changed on the server side.
   json_msg_array: JSON array of Message objects in their new form. */
typedef void (*TIMMsgUpdateCallback)(const char* json_msg_array, const void* user_data);

/* The sum of the unread counts of all conversations changed (2021 API).
   total_unread_count: the new total. */
typedef void (*TIMConvTotalUnreadMessageCountChangedCallback)(int total_unread_count, const void* user_data);

/* A group's attributes changed (2021 API).
   group_id: the group; json_group_attibute_array: JSON array of
   GroupAttributes, the whole set as it now is. */
typedef void (*TIMGroupAttributeChangedCallback)(const char* group_id, const char* json_group_attibute_array, const void* user_data);

/* Users were added to this user's blacklist (2021 API), on any of their devices.
   json_friend_black_added_array: JSON array of FriendProfile. */
typedef void (*TIMFriendBlackListAddedCallback)(const char* json_friend_black_added_array, const void* user_data);

/* Users were removed from this user's blacklist (2021 API).
   json_identifier_array: JSON array of user ids. */
typedef void (*TIMFriendBlackListDeletedCallback)(const char* json_identifier_array, const void* user_data);

/* Friend requests were removed (answered, deleted, or withdrawn) (2021 API).
   json_identifier_array: JSON array of the other users' ids. */
typedef void (*TIMFriendApplicationListDeletedCallback)(const char* json_identifier_array, const void* user_data);

/* This user's incoming friend requests were marked read, on any of their devices (2021 API). */
typedef void (*TIMFriendApplicationListReadCallback)(const void* user_data);

/* Members read this user's group messages that asked for read receipts (6.0).
   json_msg_readed_receipt_array: JSON array of GroupMessageReceipt. */
typedef void (*TIMMsgGroupReadReceiptCallback)(const char* json_msg_readed_receipt_array, const void* user_data);

/* One page of TIMMsgGetGroupMessageReadMembers (6.0).
   json_group_member_array: JSON array of GroupMemberInfo; next_seq: where the
   next page starts; is_finished: this is the last page. */
typedef void (*TIMMsgGroupReadMembersCallback)(const char* json_group_member_array, uint64_t next_seq, bool is_finished, const void* user_data);

/* ---- Completion of an asynchronous API call ---- */

/* Called once for each call that returned TIM_SUCC, and never when the call
   returned anything else (TIMMsgDownloadElemToPath may call it several times
   to report progress).
   code: ERR_SUCC (0) or a TIMErrCode value; desc: readable description of
   the outcome; json_params: the function's result JSON, or "" when it has
   none. */
typedef void (*TIMCommCallback)(int32_t code, const char* desc, const char* json_params, const void* user_data);

#ifdef __cplusplus
}
#endif

#endif /* TIM_CLOUD_CALLBACK_H_ */
