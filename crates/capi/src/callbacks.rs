//! The registered event callbacks and how SDK events reach them.
//!
//! Registration works before `TIMInit` and survives it. A `TIMSet...Callback` holds one callback
//! per slot (a new call replaces it, NULL clears it); every setter goes through [`set_slot`].
//! Delivery copies what is registered out of the lock before calling C, so a callback may
//! register or remove callbacks itself.

use std::ffi::{c_char, c_void};
use std::sync::Mutex;

use opentim_model::elem::Elem;
use opentim_model::enums::FriendChangeType;
use opentim_model::profile::{FriendAddPendency, FriendProfile};
use opentim_sdk::SdkEvent;

use crate::dispatch;
use crate::ffi::{cstring, guard, to_json, UserData};

pub type TIMCommCallback =
    Option<unsafe extern "C" fn(i32, *const c_char, *const c_char, *const c_void)>;
pub type TIMRecvNewMsgCallback = Option<RecvFn>;
pub type TIMConvEventCallback = Option<ConvEventFn>;
pub type TIMMsgReadedReceiptCallback = Option<JsonFn>;
pub type TIMMsgRevokeCallback = Option<JsonFn>;
pub type TIMMsgUpdateCallback = Option<JsonFn>;
pub type TIMGroupTipsEventCallback = Option<JsonFn>;
pub type TIMGroupAttributeChangedCallback = Option<GroupJsonFn>;
pub type TIMMsgGroupReadReceiptCallback = Option<JsonFn>;
pub type TIMFriendBlackListAddedCallback = Option<JsonFn>;
pub type TIMFriendBlackListDeletedCallback = Option<JsonFn>;
pub type TIMOnAddFriendCallback = Option<JsonFn>;
pub type TIMOnDeleteFriendCallback = Option<JsonFn>;
pub type TIMUpdateFriendProfileCallback = Option<JsonFn>;
pub type TIMFriendAddRequestCallback = Option<JsonFn>;
pub type TIMFriendApplicationListDeletedCallback = Option<JsonFn>;
pub type TIMFriendApplicationListReadCallback = Option<PlainFn>;
pub type TIMMsgGroupReadMembersCallback = Option<ReadMembersFn>;
pub type TIMConvTotalUnreadMessageCountChangedCallback = Option<CountFn>;
pub type TIMNetworkStatusListenerCallback = Option<NetworkFn>;
pub type TIMKickedOfflineCallback = Option<PlainFn>;
pub type TIMUserSigExpiredCallback = Option<PlainFn>;
pub type TIMLogCallback = Option<LogFn>;
pub type TIMMsgElemUploadProgressCallback = Option<UploadFn>;

pub type RecvFn = unsafe extern "C" fn(*const c_char, *const c_void);
pub type JsonFn = unsafe extern "C" fn(*const c_char, *const c_void);
pub type ReadMembersFn = unsafe extern "C" fn(*const c_char, u64, bool, *const c_void);
pub type GroupJsonFn = unsafe extern "C" fn(*const c_char, *const c_char, *const c_void);
pub type CountFn = unsafe extern "C" fn(i32, *const c_void);
pub type ConvEventFn = unsafe extern "C" fn(i32, *const c_char, *const c_void);
pub type NetworkFn = unsafe extern "C" fn(i32, i32, *const c_char, *const c_void);
pub type PlainFn = unsafe extern "C" fn(*const c_void);
pub type LogFn = unsafe extern "C" fn(i32, *const c_char, *const c_void);
pub type UploadFn = unsafe extern "C" fn(*const c_char, u32, u32, u32, *const c_void);

/// One registered callback and its user data.
pub type Slot<F> = Option<(F, UserData)>;

#[derive(Default)]
pub struct Registry {
    pub recv_new_msg: Vec<(RecvFn, UserData)>,
    pub conv_event: Slot<ConvEventFn>,
    pub receipt: Slot<JsonFn>,
    pub revoke: Slot<JsonFn>,
    pub msg_update: Slot<JsonFn>,
    pub group_tips: Slot<JsonFn>,
    pub group_attributes: Slot<GroupJsonFn>,
    pub group_receipts: Slot<JsonFn>,
    pub blacklist_added: Slot<JsonFn>,
    pub blacklist_deleted: Slot<JsonFn>,
    pub friend_added: Slot<JsonFn>,
    pub friend_deleted: Slot<JsonFn>,
    pub friend_profile_updated: Slot<JsonFn>,
    pub friend_request: Slot<JsonFn>,
    pub requests_deleted: Slot<JsonFn>,
    pub requests_read: Slot<PlainFn>,
    pub total_unread: Slot<CountFn>,
    pub network: Slot<NetworkFn>,
    pub kicked: Slot<PlainFn>,
    pub sig_expired: Slot<PlainFn>,
    pub log: Slot<LogFn>,
    pub upload_progress: Slot<UploadFn>,
}

pub static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    recv_new_msg: Vec::new(),
    conv_event: None,
    receipt: None,
    revoke: None,
    msg_update: None,
    group_tips: None,
    group_attributes: None,
    group_receipts: None,
    blacklist_added: None,
    blacklist_deleted: None,
    friend_added: None,
    friend_deleted: None,
    friend_profile_updated: None,
    friend_request: None,
    requests_deleted: None,
    requests_read: None,
    total_unread: None,
    network: None,
    kicked: None,
    sig_expired: None,
    log: None,
    upload_progress: None,
});

pub fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// Put `cb` (or nothing, for NULL) in the slot `select` picks.
pub fn set_slot<F: Copy>(
    select: impl FnOnce(&mut Registry) -> &mut Slot<F>,
    cb: Option<F>,
    user_data: *const c_void,
) {
    guard((), || {
        *select(&mut registry()) = cb.map(|f| (f, UserData(user_data)));
    })
}

/// Queue a `TIMCommCallback` call on the callback thread.
pub fn complete(cb: TIMCommCallback, user_data: UserData, code: i32, desc: String, json: String) {
    let Some(cb) = cb else { return };
    dispatch::post(move || {
        let desc = cstring(desc);
        let json = cstring(json);
        // SAFETY: the caller registered this function with this user_data; the strings live
        // until it returns.
        unsafe { cb(code, desc.as_ptr(), json.as_ptr(), user_data.ptr()) };
    });
}

/// Deliver one SDK event to the registered callbacks (on the callback thread).
pub fn deliver(event: SdkEvent) {
    dispatch::post(move || match event {
        SdkEvent::NewMessages(msgs) => {
            let json = cstring(to_json(&msgs));
            let targets = registry().recv_new_msg.clone();
            for (cb, ud) in targets {
                // SAFETY: registered by the application; json lives until the loop ends.
                unsafe { cb(json.as_ptr(), ud.ptr()) };
            }
        }
        SdkEvent::GroupAttributes {
            group_id,
            attributes,
        } => {
            let target = registry().group_attributes;
            if let Some((cb, ud)) = target {
                let (id, json) = (cstring(group_id), cstring(to_json(&attributes)));
                // SAFETY: registered by the application; the strings live until it returns.
                unsafe { cb(id.as_ptr(), json.as_ptr(), ud.ptr()) };
            }
        }
        SdkEvent::Conversations(kind, convs) => {
            let target = registry().conv_event;
            if let Some((cb, ud)) = target {
                let json = cstring(to_json(&convs));
                // SAFETY: as above.
                unsafe { cb(kind.0 as i32, json.as_ptr(), ud.ptr()) };
            }
        }
        SdkEvent::UploadProgress {
            message,
            index,
            cur,
            total,
        } => {
            let target = registry().upload_progress;
            if let Some((cb, ud)) = target {
                let json = cstring(to_json(&message));
                // The C type counts bytes in 32 bits (files stay under 4 GiB by the limits).
                let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
                // SAFETY: registered by the application; json lives until it returns.
                unsafe { cb(json.as_ptr(), index, clamp(cur), clamp(total), ud.ptr()) };
            }
        }
        SdkEvent::Receipts(receipts) => json_to(registry().receipt, &receipts),
        SdkEvent::Revoked(locators) => json_to(registry().revoke, &locators),
        SdkEvent::Updated(msgs) => json_to(registry().msg_update, &msgs),
        SdkEvent::GroupReceipts(receipts) => json_to(registry().group_receipts, &receipts),
        SdkEvent::FriendChanges(changes) => {
            for c in changes {
                match c.change_type {
                    Some(FriendChangeType::BLACK_LIST_ADD) => {
                        // The users added, as FriendProfile objects.
                        let added: Vec<FriendProfile> = c
                            .blacklist_add_identifier_array
                            .unwrap_or_default()
                            .into_iter()
                            .map(|u| {
                                FriendProfile {
                                    identifier: Some(u),
                                    ..Default::default()
                                }
                                .complete()
                            })
                            .collect();
                        json_to(registry().blacklist_added, &added)
                    }
                    Some(FriendChangeType::BLACK_LIST_DEL) => json_to(
                        registry().blacklist_deleted,
                        &c.blacklist_del_identifier_array.unwrap_or_default(),
                    ),
                    Some(FriendChangeType::FRIEND_ADD) => json_to(
                        registry().friend_added,
                        &c.friend_add_identifier_array.unwrap_or_default(),
                    ),
                    Some(FriendChangeType::FRIEND_DEL) => json_to(
                        registry().friend_deleted,
                        &c.friend_del_identifier_array.unwrap_or_default(),
                    ),
                    Some(FriendChangeType::FRIEND_PROFILE_UPDATE) => json_to(
                        registry().friend_profile_updated,
                        &c.friend_profile_update_item_array.unwrap_or_default(),
                    ),
                    Some(FriendChangeType::PENDENCY_ADD) => {
                        let requests: Vec<FriendAddPendency> = c
                            .friend_add_pendency_array
                            .unwrap_or_default()
                            .into_iter()
                            .map(FriendAddPendency::complete)
                            .collect();
                        json_to(registry().friend_request, &requests)
                    }
                    Some(FriendChangeType::PENDENCY_DEL) => json_to(
                        registry().requests_deleted,
                        &c.pendency_del_identifier_array.unwrap_or_default(),
                    ),
                    Some(FriendChangeType::PENDENCY_READED_REPORT) => {
                        let target = registry().requests_read;
                        if let Some((cb, ud)) = target {
                            // SAFETY: registered by the application.
                            unsafe { cb(ud.ptr()) };
                        }
                    }
                    _ => {}
                }
            }
        }
        // Each tip as the element it is, `elem_type` included.
        SdkEvent::GroupTips(tips) => {
            let elems: Vec<Elem> = tips.into_iter().map(Elem::GroupTips).collect();
            json_to(registry().group_tips, &elems)
        }
        SdkEvent::TotalUnread(total) => {
            let target = registry().total_unread;
            if let Some((cb, ud)) = target {
                let total = i32::try_from(total).unwrap_or(i32::MAX);
                // SAFETY: as above.
                unsafe { cb(total, ud.ptr()) };
            }
        }
        SdkEvent::Network { status, code, desc } => {
            let target = registry().network;
            if let Some((cb, ud)) = target {
                let desc = cstring(desc);
                // SAFETY: as above.
                unsafe { cb(status.0 as i32, code, desc.as_ptr(), ud.ptr()) };
            }
        }
        SdkEvent::KickedOffline => {
            let target = registry().kicked;
            if let Some((cb, ud)) = target {
                // SAFETY: as above.
                unsafe { cb(ud.ptr()) };
            }
        }
        SdkEvent::UserSigExpired => {
            let target = registry().sig_expired;
            if let Some((cb, ud)) = target {
                // SAFETY: as above.
                unsafe { cb(ud.ptr()) };
            }
        }
    });
}

/// Call a JSON callback, if one is registered, with `value` as JSON (on the callback thread).
fn json_to<T: serde::Serialize>(target: Slot<JsonFn>, value: &T) {
    if let Some((cb, ud)) = target {
        let json = cstring(to_json(value));
        // SAFETY: registered by the application; json lives until it returns.
        unsafe { cb(json.as_ptr(), ud.ptr()) };
    }
}
