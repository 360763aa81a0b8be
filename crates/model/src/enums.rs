//! Forward-compatible numeric enums of the C API.
//!
//! Every TIM enum is a newtype over `i64` (`pub struct ConvType(pub i64)`) with one associated
//! constant per C member (`ConvType::C2C`), instead of a Rust `enum`. The reasons:
//!
//! * an SDK or server built today must not reject a value a newer peer introduces (6.x added
//!   `kTIMElem_Merge`, `kTIMConvEvent_Start`, ...): unknown numbers are kept and written back
//!   unchanged;
//! * the JSON form is the bare C number, and the C layer passes these numbers through as-is.
//!
//! Each type also carries `C_NAME` (the C enum name) and `MEMBERS` (C member name, value), which
//! a test compares with [`crate::tables`], the tables generated from the specification.
//!
//! Serialisation writes a JSON integer. Deserialisation accepts any JSON integer, signed or
//! unsigned (an unsigned value above `i64::MAX` cannot be kept and is an error). Two types accept
//! more on input, as the specification decides: [`GroupMemberRole`] maps the 4.5–5.x header values
//! 1 / 2 / 3 to the wire values 200 / 300 / 400 (decision 3), and [`GroupType`] also accepts the
//! server type names `"Public"`, `"Private"`, `"ChatRoom"`, `"BChatRoom"`, `"AVChatRoom"`
//! (decision 4). Neither ever writes those input forms.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// How an enum newtype reads its wire value. Implemented by [`tim_enum!`]; the two types with
/// input aliases implement it by hand.
trait WireEnum: Sized {
    const EXPECTING: &'static str;
    fn from_wire_int(value: i64) -> Self;
    fn from_wire_str(_name: &str) -> Option<Self> {
        None
    }
}

struct WireVisitor<T>(PhantomData<T>);

impl<T: WireEnum> Visitor<'_> for WireVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::from_wire_int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        i64::try_from(v)
            .map(T::from_wire_int)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::from_wire_str(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

fn deserialize_wire<'de, D: Deserializer<'de>, T: WireEnum>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(WireVisitor(PhantomData))
}

/// Declares one enum newtype. `custom_wire` after the C name means the type implements
/// [`WireEnum`] itself (input aliases); otherwise every integer maps to itself.
macro_rules! tim_enum {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($cname:literal) {
            $( $(#[$vmeta:meta])* $konst:ident = ($member:literal, $value:expr), )*
        }
    ) => {
        tim_enum!(@common $(#[$meta])* $name $cname { $( $(#[$vmeta])* $konst = ($member, $value), )* });
        impl WireEnum for $name {
            const EXPECTING: &'static str = concat!("an integer (", $cname, ")");
            fn from_wire_int(value: i64) -> Self {
                $name(value)
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident($cname:literal, custom_wire) {
            $( $(#[$vmeta:meta])* $konst:ident = ($member:literal, $value:expr), )*
        }
    ) => {
        tim_enum!(@common $(#[$meta])* $name $cname { $( $(#[$vmeta])* $konst = ($member, $value), )* });
    };
    (@common
        $(#[$meta:meta])* $name:ident $cname:literal {
            $( $(#[$vmeta:meta])* $konst:ident = ($member:literal, $value:expr), )*
        }
    ) => {
        $(#[$meta])*
        #[doc = ""]
        #[doc = concat!("C enum `", $cname, "`. Unknown values are kept (see the module docs).")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub i64);

        impl $name {
            $(
                $(#[$vmeta])*
                #[doc = concat!("`", $member, "`")]
                pub const $konst: $name = $name($value);
            )*

            /// Name of the C enum.
            pub const C_NAME: &'static str = $cname;

            /// `(C member name, value)` of every member, in header order.
            pub const MEMBERS: &'static [(&'static str, i64)] = &[ $( ($member, $value), )* ];

            /// The numeric value.
            pub const fn value(self) -> i64 {
                self.0
            }

            /// C member name of this value, `None` for a value this version does not know.
            pub fn member_name(self) -> Option<&'static str> {
                Self::MEMBERS.iter().find(|(_, v)| *v == self.0).map(|(n, _)| *n)
            }

            /// Whether the value is one of [`Self::MEMBERS`].
            pub fn is_known(self) -> bool {
                self.member_name().is_some()
            }
        }

        impl From<i64> for $name {
            fn from(value: i64) -> Self {
                $name(value)
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> i64 {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                match self.member_name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}({})", $cname, self.0),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                deserialize_wire(d)
            }
        }
    };
}

tim_enum! {
    /// Synchronous return value of every `TIM*` C function.
    pub struct TimResult("TIMResult") {
        SUCC = ("TIM_SUCC", 0),
        ERR_SDKUNINIT = ("TIM_ERR_SDKUNINIT", -1),
        ERR_NOTLOGIN = ("TIM_ERR_NOTLOGIN", -2),
        ERR_JSON = ("TIM_ERR_JSON", -3),
        ERR_PARAM = ("TIM_ERR_PARAM", -4),
        ERR_CONV = ("TIM_ERR_CONV", -5),
        ERR_GROUP = ("TIM_ERR_GROUP", -6),
    }
}

tim_enum! {
    /// Log level, 4.9.1+ numbering (`kTIMLog_Test` = 1 shifts the rest by one).
    pub struct LogLevel("TIMLogLevel") {
        OFF = ("kTIMLog_Off", 0),
        TEST = ("kTIMLog_Test", 1),
        VERBOSE = ("kTIMLog_Verbose", 2),
        DEBUG = ("kTIMLog_Debug", 3),
        INFO = ("kTIMLog_Info", 4),
        WARN = ("kTIMLog_Warn", 5),
        ERROR = ("kTIMLog_Error", 6),
        ASSERT = ("kTIMLog_Assert", 7),
    }
}

tim_enum! {
    /// Argument of the network-status callback.
    pub struct NetworkStatus("TIMNetworkStatus") {
        CONNECTED = ("kTIMConnected", 0),
        DISCONNECTED = ("kTIMDisconnected", 1),
        CONNECTING = ("kTIMConnecting", 2),
        CONNECT_FAILED = ("kTIMConnectFailed", 3),
    }
}

tim_enum! {
    /// What `TIMGetLoginStatus` answers.
    pub struct LoginStatus("TIMLoginStatus") {
        LOGINED = ("kTIMLoginStatus_Logined", 1),
        LOGINING = ("kTIMLoginStatus_Logining", 2),
        UNLOGINED = ("kTIMLoginStatus_UnLogined", 3),
        LOGOUTING = ("kTIMLoginStatus_Logouting", 4),
    }
}

tim_enum! {
    /// How messages from a user are received (`TIMMsgSetC2CReceiveMessageOpt`).
    pub struct ReceiveMessageOpt("TIMReceiveMessageOpt") {
        RECEIVE = ("kTIMRecvMsgOpt_Receive", 0),
        NOT_RECEIVE = ("kTIMRecvMsgOpt_Not_Receive", 1),
        NOT_NOTIFY = ("kTIMRecvMsgOpt_Not_Notify", 2),
    }
}

tim_enum! {
    /// How the keywords of a local message search combine.
    pub struct KeywordListMatchType("TIMKeywordListMatchType") {
        OR = ("TIMKeywordListMatchType_Or", 0),
        AND = ("TIMKeywordListMatchType_And", 1),
    }
}

tim_enum! {
    /// Argument of the conversation-event callback.
    pub struct ConvEvent("TIMConvEvent") {
        ADD = ("kTIMConvEvent_Add", 0),
        DEL = ("kTIMConvEvent_Del", 1),
        UPDATE = ("kTIMConvEvent_Update", 2),
    }
}

tim_enum! {
    /// Platform a message was sent from (`message_platform`), 4.8.10+ numbering.
    pub struct Platform("TIMPlatform") {
        OTHER = ("kTIMPlatform_Other", 0),
        WINDOWS = ("kTIMPlatform_Windows", 1),
        ANDROID = ("kTIMPlatform_Android", 2),
        IOS = ("kTIMPlatform_IOS", 3),
        MAC = ("kTIMPlatform_Mac", 4),
        SIMULATOR = ("kTIMPlatform_Simulator", 5),
    }
}

tim_enum! {
    /// Conversation type.
    pub struct ConvType("TIMConvType") {
        INVALID = ("kTIMConv_Invalid", 0),
        C2C = ("kTIMConv_C2C", 1),
        GROUP = ("kTIMConv_Group", 2),
        SYSTEM = ("kTIMConv_System", 3),
    }
}

tim_enum! {
    /// Message status (`message_status`).
    pub struct MsgStatus("TIMMsgStatus") {
        SENDING = ("kTIMMsg_Sending", 1),
        SEND_SUCC = ("kTIMMsg_SendSucc", 2),
        SEND_FAIL = ("kTIMMsg_SendFail", 3),
        DELETED = ("kTIMMsg_Deleted", 4),
        LOCAL_IMPORTED = ("kTIMMsg_LocalImported", 5),
        REVOKED = ("kTIMMsg_Revoked", 6),
        /// Since 5.x.
        CANCEL = ("kTIMMsg_Cancel", 7),
    }
}

tim_enum! {
    /// Message priority (smaller is higher).
    pub struct MsgPriority("TIMMsgPriority") {
        HIGH = ("kTIMMsgPriority_High", 0),
        NORMAL = ("kTIMMsgPriority_Normal", 1),
        LOW = ("kTIMMsgPriority_Low", 2),
        LOWEST = ("kTIMMsgPriority_Lowest", 3),
    }
}

tim_enum! {
    /// Element type (`elem_type`), 4.9.1+ numbering (decision 2: GroupTips 5, GroupReport 8).
    pub struct ElemType("TIMElemType") {
        TEXT = ("kTIMElem_Text", 0),
        IMAGE = ("kTIMElem_Image", 1),
        SOUND = ("kTIMElem_Sound", 2),
        CUSTOM = ("kTIMElem_Custom", 3),
        FILE = ("kTIMElem_File", 4),
        GROUP_TIPS = ("kTIMElem_GroupTips", 5),
        FACE = ("kTIMElem_Face", 6),
        LOCATION = ("kTIMElem_Location", 7),
        GROUP_REPORT = ("kTIMElem_GroupReport", 8),
        VIDEO = ("kTIMElem_Video", 9),
        FRIEND_CHANGE = ("kTIMElem_FriendChange", 10),
        PROFILE_CHANGE = ("kTIMElem_ProfileChange", 11),
        /// Since 6.1.2155.
        MERGE = ("kTIMElem_Merge", 12),
        INVALID = ("kTIMElem_Invalid", -1),
    }
}

tim_enum! {
    /// Image compression level used when sending (`image_elem_level`).
    pub struct ImageLevel("TIMImageLevel") {
        ORIG = ("kTIMImageLevel_Orig", 0),
        COMPRESSION = ("kTIMImageLevel_Compression", 1),
        HD = ("kTIMImageLevel_HD", 2),
    }
}

tim_enum! {
    /// Which group property a group tip reports (4.8.10+ numbering; older builds sent 10..14,
    /// which are kept as unknown values).
    pub struct GroupTipGroupChangeFlag("TIMGroupTipGroupChangeFlag") {
        UNKNOWN = ("kTIMGroupTipChangeFlag_Unknown", 0),
        NAME = ("kTIMGroupTipChangeFlag_Name", 1),
        INTRODUCTION = ("kTIMGroupTipChangeFlag_Introduction", 2),
        NOTIFICATION = ("kTIMGroupTipChangeFlag_Notification", 3),
        FACE_URL = ("kTIMGroupTipChangeFlag_FaceUrl", 4),
        OWNER = ("kTIMGroupTipChangeFlag_Owner", 5),
        CUSTOM = ("kTIMGroupTipChangeFlag_Custom", 6),
    }
}

tim_enum! {
    /// Kind of group tip (`group_tips_elem_tip_type`).
    pub struct GroupTipType("TIMGroupTipType") {
        NONE = ("kTIMGroupTip_None", 0),
        INVITE = ("kTIMGroupTip_Invite", 1),
        QUIT = ("kTIMGroupTip_Quit", 2),
        KICK = ("kTIMGroupTip_Kick", 3),
        SET_ADMIN = ("kTIMGroupTip_SetAdmin", 4),
        CANCEL_ADMIN = ("kTIMGroupTip_CancelAdmin", 5),
        GROUP_INFO_CHANGE = ("kTIMGroupTip_GroupInfoChange", 6),
        MEMBER_INFO_CHANGE = ("kTIMGroupTip_MemberInfoChange", 7),
    }
}

tim_enum! {
    /// Kind of group system notice (`group_report_elem_report_type`).
    pub struct GroupReportType("TIMGroupReportType") {
        NONE = ("kTIMGroupReport_None", 0),
        ADD_REQUEST = ("kTIMGroupReport_AddRequest", 1),
        ADD_ACCEPT = ("kTIMGroupReport_AddAccept", 2),
        ADD_REFUSE = ("kTIMGroupReport_AddRefuse", 3),
        BE_KICKED = ("kTIMGroupReport_BeKicked", 4),
        DELETE = ("kTIMGroupReport_Delete", 5),
        CREATE = ("kTIMGroupReport_Create", 6),
        INVITE = ("kTIMGroupReport_Invite", 7),
        QUIT = ("kTIMGroupReport_Quit", 8),
        GRANT_ADMIN = ("kTIMGroupReport_GrantAdmin", 9),
        CANCEL_ADMIN = ("kTIMGroupReport_CancelAdmin", 10),
        REVOKE_ADMIN = ("kTIMGroupReport_RevokeAdmin", 11),
        INVITE_REQ = ("kTIMGroupReport_InviteReq", 12),
        INVITE_ACCEPT = ("kTIMGroupReport_InviteAccept", 13),
        INVITE_REFUSE = ("kTIMGroupReport_InviteRefuse", 14),
        READ_REPORT = ("kTIMGroupReport_ReadReport", 15),
        USER_DEFINE = ("kTIMGroupReport_UserDefine", 16),
    }
}

tim_enum! {
    /// File kind of `TIMMsgDownloadElemToPath`.
    pub struct DownloadType("TIMDownloadType") {
        VIDEO_THUMB = ("kTIMDownload_VideoThumb", 0),
        FILE = ("kTIMDownload_File", 1),
        VIDEO = ("kTIMDownload_Video", 2),
        SOUND = ("kTIMDownload_Sound", 3),
    }
}

tim_enum! {
    /// Group join option.
    pub struct GroupAddOption("TIMGroupAddOption") {
        FORBID = ("kTIMGroupAddOpt_Forbid", 0),
        AUTH = ("kTIMGroupAddOpt_Auth", 1),
        ANY = ("kTIMGroupAddOpt_Any", 2),
    }
}

tim_enum! {
    /// Group type. Written as the number; read from the number or from the server type name
    /// (decision 4, see [`GroupType::from_name`]).
    pub struct GroupType("TIMGroupType", custom_wire) {
        PUBLIC = ("kTIMGroup_Public", 0),
        PRIVATE = ("kTIMGroup_Private", 1),
        CHAT_ROOM = ("kTIMGroup_ChatRoom", 2),
        B_CHAT_ROOM = ("kTIMGroup_BChatRoom", 3),
        AV_CHAT_ROOM = ("kTIMGroup_AVChatRoom", 4),
    }
}

impl GroupType {
    /// `(server/REST type name, type)` pairs.
    pub const NAMES: &'static [(&'static str, GroupType)] = &[
        ("Public", GroupType::PUBLIC),
        ("Private", GroupType::PRIVATE),
        ("ChatRoom", GroupType::CHAT_ROOM),
        ("BChatRoom", GroupType::B_CHAT_ROOM),
        ("AVChatRoom", GroupType::AV_CHAT_ROOM),
    ];

    /// The type for a server type name such as `"Public"` (exact spelling).
    pub fn from_name(name: &str) -> Option<GroupType> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// The server type name (`"Public"`, ...), `None` for an unknown value.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(n, _)| *n)
    }
}

impl WireEnum for GroupType {
    const EXPECTING: &'static str = "an integer (TIMGroupType) or a group type name";
    fn from_wire_int(value: i64) -> Self {
        GroupType(value)
    }
    fn from_wire_str(name: &str) -> Option<Self> {
        GroupType::from_name(name)
    }
}

tim_enum! {
    /// Group member role, with the wire values 200 / 300 / 400 (decision 3). On input the
    /// 4.5–5.x header values 1 / 2 / 3 are read as 200 / 300 / 400; they are never written.
    pub struct GroupMemberRole("TIMGroupMemberRole", custom_wire) {
        NONE = ("kTIMMemberRole_None", 0),
        NORMAL = ("kTIMMemberRole_Normal", 200),
        ADMIN = ("kTIMMemberRole_Admin", 300),
        OWNER = ("kTIMMemberRole_Owner", 400),
    }
}

impl GroupMemberRole {
    /// Maps the header values 1 / 2 / 3 to 200 / 300 / 400; every other value is unchanged.
    pub const fn normalize(value: i64) -> GroupMemberRole {
        match value {
            1 => GroupMemberRole::NORMAL,
            2 => GroupMemberRole::ADMIN,
            3 => GroupMemberRole::OWNER,
            v => GroupMemberRole(v),
        }
    }
}

impl WireEnum for GroupMemberRole {
    const EXPECTING: &'static str = "an integer (TIMGroupMemberRole)";
    fn from_wire_int(value: i64) -> Self {
        GroupMemberRole::normalize(value)
    }
}

tim_enum! {
    /// Per-user result of invite / delete member.
    pub struct HandleGroupMemberResult("HandleGroupMemberResult") {
        HANDLED_ERR = ("kTIMGroupMember_HandledErr", 0),
        HANDLED_SUC = ("kTIMGroupMember_HandledSuc", 1),
        INCLUDED = ("kTIMGroupMember_Included", 2),
        INVITED = ("kTIMGroupMember_Invited", 3),
    }
}

tim_enum! {
    /// Group message receive option.
    pub struct GroupReceiveMessageOpt("TIMGroupReceiveMessageOpt") {
        RECEIVE_AND_NOTIFY = ("kTIMRecvGroupMsgOpt_ReceiveAndNotify", 0),
        NOT_RECEIVE = ("kTIMRecvGroupMsgOpt_NotReceive", 1),
        RECEIVE_NOT_NOTIFY = ("kTIMRecvGroupMsgOpt_ReceiveNotNotify", 2),
    }
}

tim_enum! {
    /// Kind of group join pendency.
    pub struct GroupPendencyType("TIMGroupPendencyType") {
        REQUEST_JOIN = ("kTIMGroupPendency_RequestJoin", 0),
        INVITE_JOIN = ("kTIMGroupPendency_InviteJoin", 1),
        REQ_AND_INVITE = ("kTIMGroupPendency_ReqAndInvite", 2),
    }
}

tim_enum! {
    /// Whether a group pendency was handled, and by whom.
    pub struct GroupPendencyHandle("TIMGroupPendencyHandle") {
        NOT_HANDLE = ("kTIMGroupPendency_NotHandle", 0),
        OTHER_HANDLE = ("kTIMGroupPendency_OtherHandle", 1),
        OPERATOR_HANDLE = ("kTIMGroupPendency_OperatorHandle", 2),
    }
}

tim_enum! {
    /// Outcome of a handled group pendency.
    pub struct GroupPendencyHandleResult("TIMGroupPendencyHandleResult") {
        REFUSE = ("kTIMGroupPendency_Refuse", 0),
        ACCEPT = ("kTIMGroupPendency_Accept", 1),
    }
}

tim_enum! {
    /// Kind of profile change notice.
    pub struct ProfileChangeType("TIMProfileChangeType") {
        NONE = ("kTIMProfileChange_None", 0),
        PROFILE = ("kTIMProfileChange_Profile", 1),
    }
}

tim_enum! {
    /// Kind of friendship change notice.
    pub struct FriendChangeType("TIMFriendChangeType") {
        NONE = ("kTIMFriendChange_None", 0),
        FRIEND_ADD = ("kTIMFriendChange_FriendAdd", 1),
        FRIEND_DEL = ("kTIMFriendChange_FriendDel", 2),
        PENDENCY_ADD = ("kTIMFriendChange_PendencyAdd", 3),
        PENDENCY_DEL = ("kTIMFriendChange_PendencyDel", 4),
        BLACK_LIST_ADD = ("kTIMFriendChange_BlackListAdd", 5),
        BLACK_LIST_DEL = ("kTIMFriendChange_BlackListDel", 6),
        PENDENCY_READED_REPORT = ("kTIMFriendChange_PendencyReadedReport", 7),
        FRIEND_PROFILE_UPDATE = ("kTIMFriendChange_FriendProfileUpdate", 8),
        FRIEND_GROUP_ADD = ("kTIMFriendChange_FriendGroupAdd", 9),
        FRIEND_GROUP_DEL = ("kTIMFriendChange_FriendGroupDel", 10),
        FRIEND_GROUP_MODIFY = ("kTIMFriendChange_FriendGroupModify", 11),
    }
}

tim_enum! {
    /// Gender (`user_profile_gender`; the C member keeps the "Unkown" spelling).
    pub struct GenderType("TIMGenderType") {
        UNKNOWN = ("kTIMGenderType_Unkown", 0),
        MALE = ("kTIMGenderType_Male", 1),
        FEMALE = ("kTIMGenderType_Female", 2),
    }
}

tim_enum! {
    /// Friend-add policy of a user.
    pub struct ProfileAddPermission("TIMProfileAddPermission") {
        UNKNOWN = ("kTIMProfileAddPermission_Unknown", 0),
        ALLOW_ANY = ("kTIMProfileAddPermission_AllowAny", 1),
        NEED_CONFIRM = ("kTIMProfileAddPermission_NeedConfirm", 2),
        DENY_ANY = ("kTIMProfileAddPermission_DenyAny", 3),
    }
}

tim_enum! {
    /// One-way or two-way friendship (members have no `kTIM` prefix; "Signle" sic).
    pub struct FriendType("TIMFriendType") {
        SINGLE = ("FriendTypeSignle", 0),
        BOTH = ("FriendTypeBoth", 1),
    }
}

tim_enum! {
    /// Direction of friend requests.
    pub struct FriendPendencyType("TIMFriendPendencyType") {
        COME_IN = ("FriendPendencyTypeComeIn", 0),
        SEND_OUT = ("FriendPendencyTypeSendOut", 1),
        BOTH = ("FriendPendencyTypeBoth", 2),
    }
}

tim_enum! {
    /// Answer to a friend request.
    pub struct FriendResponseAction("TIMFriendResponseAction") {
        AGREE = ("ResponseActionAgree", 0),
        AGREE_AND_ADD = ("ResponseActionAgreeAndAdd", 1),
        REJECT = ("ResponseActionReject", 2),
    }
}

tim_enum! {
    /// Result of a friendship check.
    pub struct FriendCheckRelation("TIMFriendCheckRelation") {
        NO_RELATION = ("FriendCheckNoRelation", 0),
        A_WITH_B = ("FriendCheckAWithB", 1),
        B_WITH_A = ("FriendCheckBWithA", 2),
        BOTH_WAY = ("FriendCheckBothWay", 3),
    }
}

tim_enum! {
    /// Android notification mode of an offline push.
    pub struct AndroidOfflinePushNotifyMode("TIMAndroidOfflinePushNotifyMode") {
        NORMAL = ("kTIMAndroidOfflinePushNotifyMode_Normal", 0),
        CUSTOM = ("kTIMAndroidOfflinePushNotifyMode_Custom", 1),
    }
}

tim_enum! {
    /// Whether a message may be pushed offline.
    pub struct OfflinePushFlag("TIMOfflinePushFlag") {
        DEFAULT = ("kTIMOfflinePushFlag_Default", 0),
        NO_PUSH = ("kTIMOfflinePushFlag_NoPush", 1),
    }
}

tim_enum! {
    /// Group fields `TIMGroupSearchGroups` looks in (bits of `group_search_params_field_list`).
    pub struct GroupSearchFieldKey("TIMGroupSearchFieldKey") {
        GROUP_ID = ("kTIMGroupSearchFieldKey_GroupId", 1),
        GROUP_NAME = ("kTIMGroupSearchFieldKey_GroupName", 2),
    }
}

tim_enum! {
    /// Friend fields `TIMFriendshipSearchFriends` looks in (bits).
    pub struct FriendshipSearchFieldKey("TIMFriendshipSearchFieldKey") {
        IDENTIFIER = ("kTIMFriendshipSearchFieldKey_Identifier", 1),
        NIKE_NAME = ("kTIMFriendshipSearchFieldKey_NikeName", 2),
        REMARK = ("kTIMFriendshipSearchFieldKey_Remark", 4),
    }
}

tim_enum! {
    /// The relation `TIMFriendshipGetFriendsInfo` reports.
    pub struct FriendshipRelationType("TIMFriendshipRelationType") {
        NONE = ("kTIMFriendshipRelationType_None", 0),
        IN_MY_FRIEND_LIST = ("kTIMFriendshipRelationType_InMyFriendList", 1),
        IN_OTHER_FRIEND_LIST = ("kTIMFriendshipRelationType_InOtherFriendList", 2),
        BOTH_FRIEND = ("kTIMFriendshipRelationType_BothFriend", 3),
    }
}

tim_enum! {
    /// Member fields `TIMGroupSearchGroupMembers` looks in.
    pub struct GroupMemberSearchFieldKey("TIMGroupMemberSearchFieldKey") {
        IDENTIFIER = ("kTIMGroupMemberSearchFieldKey_Identifier", 1),
        NIKE_NAME = ("kTIMGroupMemberSearchFieldKey_NikeName", 2),
        REMARK = ("kTIMGroupMemberSearchFieldKey_Remark", 4),
        NAME_CARD = ("kTIMGroupMemberSearchFieldKey_NameCard", 8),
    }
}

tim_enum! {
    /// Which members `TIMMsgGetGroupMessageReadMembers` lists (6.0).
    pub struct GroupMessageReadMembersFilter("TIMGroupMessageReadMembersFilter") {
        READ = ("TIM_GROUP_MESSAGE_READ_MEMBERS_FILTER_READ", 0),
        UNREAD = ("TIM_GROUP_MESSAGE_READ_MEMBERS_FILTER_UNREAD", 1),
    }
}

/// `(C enum name, members)` of every enum newtype of this module.
pub const ALL_ENUMS: &[(&str, &[(&str, i64)])] = &[
    (TimResult::C_NAME, TimResult::MEMBERS),
    (LogLevel::C_NAME, LogLevel::MEMBERS),
    (NetworkStatus::C_NAME, NetworkStatus::MEMBERS),
    (LoginStatus::C_NAME, LoginStatus::MEMBERS),
    (ReceiveMessageOpt::C_NAME, ReceiveMessageOpt::MEMBERS),
    (KeywordListMatchType::C_NAME, KeywordListMatchType::MEMBERS),
    (ConvEvent::C_NAME, ConvEvent::MEMBERS),
    (Platform::C_NAME, Platform::MEMBERS),
    (ConvType::C_NAME, ConvType::MEMBERS),
    (MsgStatus::C_NAME, MsgStatus::MEMBERS),
    (MsgPriority::C_NAME, MsgPriority::MEMBERS),
    (ElemType::C_NAME, ElemType::MEMBERS),
    (ImageLevel::C_NAME, ImageLevel::MEMBERS),
    (
        GroupTipGroupChangeFlag::C_NAME,
        GroupTipGroupChangeFlag::MEMBERS,
    ),
    (GroupTipType::C_NAME, GroupTipType::MEMBERS),
    (GroupReportType::C_NAME, GroupReportType::MEMBERS),
    (DownloadType::C_NAME, DownloadType::MEMBERS),
    (GroupAddOption::C_NAME, GroupAddOption::MEMBERS),
    (GroupType::C_NAME, GroupType::MEMBERS),
    (GroupMemberRole::C_NAME, GroupMemberRole::MEMBERS),
    (
        HandleGroupMemberResult::C_NAME,
        HandleGroupMemberResult::MEMBERS,
    ),
    (
        GroupReceiveMessageOpt::C_NAME,
        GroupReceiveMessageOpt::MEMBERS,
    ),
    (GroupPendencyType::C_NAME, GroupPendencyType::MEMBERS),
    (GroupPendencyHandle::C_NAME, GroupPendencyHandle::MEMBERS),
    (
        GroupPendencyHandleResult::C_NAME,
        GroupPendencyHandleResult::MEMBERS,
    ),
    (ProfileChangeType::C_NAME, ProfileChangeType::MEMBERS),
    (FriendChangeType::C_NAME, FriendChangeType::MEMBERS),
    (GenderType::C_NAME, GenderType::MEMBERS),
    (ProfileAddPermission::C_NAME, ProfileAddPermission::MEMBERS),
    (FriendType::C_NAME, FriendType::MEMBERS),
    (FriendPendencyType::C_NAME, FriendPendencyType::MEMBERS),
    (FriendResponseAction::C_NAME, FriendResponseAction::MEMBERS),
    (FriendCheckRelation::C_NAME, FriendCheckRelation::MEMBERS),
    (
        AndroidOfflinePushNotifyMode::C_NAME,
        AndroidOfflinePushNotifyMode::MEMBERS,
    ),
    (OfflinePushFlag::C_NAME, OfflinePushFlag::MEMBERS),
    (GroupSearchFieldKey::C_NAME, GroupSearchFieldKey::MEMBERS),
    (
        FriendshipSearchFieldKey::C_NAME,
        FriendshipSearchFieldKey::MEMBERS,
    ),
    (
        FriendshipRelationType::C_NAME,
        FriendshipRelationType::MEMBERS,
    ),
    (
        GroupMemberSearchFieldKey::C_NAME,
        GroupMemberSearchFieldKey::MEMBERS,
    ),
    (
        GroupMessageReadMembersFilter::C_NAME,
        GroupMessageReadMembersFilter::MEMBERS,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_match_tables() {
        for (c_name, members) in ALL_ENUMS {
            let known = members
                .iter()
                .any(|(m, _)| crate::tables::enum_value(c_name, m).is_some());
            if !known {
                continue;
            }
            for (member, value) in *members {
                assert_eq!(
                    crate::tables::enum_value(c_name, member),
                    Some(*value),
                    "{c_name}::{member}"
                );
            }
        }
    }

    #[test]
    fn members_are_unique_per_enum() {
        for (c_name, members) in ALL_ENUMS {
            for (i, (name, value)) in members.iter().enumerate() {
                for (other, other_value) in &members[i + 1..] {
                    assert_ne!(name, other, "{c_name}");
                    assert_ne!(value, other_value, "{c_name}: {name} / {other}");
                }
            }
        }
    }

    #[test]
    fn wire_forms() {
        let v: ConvType = serde_json::from_str("1").unwrap();
        assert_eq!(v, ConvType::C2C);
        let v: ConvType = serde_json::from_str("42").unwrap();
        assert_eq!(v, ConvType(42));
        assert!(!v.is_known());
        assert_eq!(serde_json::to_string(&v).unwrap(), "42");
        let v: ElemType = serde_json::from_str("-1").unwrap();
        assert_eq!(v, ElemType::INVALID);
        assert!(serde_json::from_str::<ElemType>("\"0\"").is_err());
        assert!(serde_json::from_str::<ElemType>("1.5").is_err());
        assert!(serde_json::from_str::<ElemType>("18446744073709551615").is_err());
        let r: GroupMemberRole = serde_json::from_str("3").unwrap();
        assert_eq!(r, GroupMemberRole::OWNER);
        assert_eq!(serde_json::to_string(&r).unwrap(), "400");
        let t: GroupType = serde_json::from_str("\"AVChatRoom\"").unwrap();
        assert_eq!(t, GroupType::AV_CHAT_ROOM);
        assert_eq!(serde_json::to_string(&t).unwrap(), "4");
        assert!(serde_json::from_str::<GroupType>("\"public\"").is_err());
        assert_eq!(ConvType::GROUP.to_string(), "kTIMConv_Group");
        assert_eq!(ConvType(9).to_string(), "TIMConvType(9)");
    }
}
