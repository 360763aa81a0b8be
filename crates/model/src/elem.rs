//! Message elements: the polymorphic items of `message_elem_array`.
//!
//! Every element object carries `elem_type` plus the keys of one `*Elem` struct. [`Elem`] has
//! one variant per era element type and an [`Elem::Unknown`] variant that keeps the whole object
//! of a type this version does not know, so it is passed through unchanged.
//!
//! Reading dispatches on `elem_type` (decision 2 numbering: GroupTips 5, GroupReport 8), with
//! one correction: some 2019–2020 builds (and the seed's sample JSON) used a numbering shifted
//! by one (GroupTips 6, GroupReport 9, ...). When an object has **no** key of the struct its
//! `elem_type` names, and the keys it has belong to exactly **one** other element struct (the
//! key prefixes `text_elem_`, `group_report_elem_`, ... are distinct), the keys win. Such an
//! element is written back with the decision-2 number. An object without `elem_type`, or whose
//! `elem_type` is not an integer, is an error.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::enums::{
    ElemType, FriendChangeType, GroupReportType, GroupTipGroupChangeFlag, GroupTipType, ImageLevel,
    ProfileChangeType,
};
use crate::group::GroupMemberInfo;
use crate::profile::{FriendAddPendency, FriendProfileUpdate, UserProfile, UserProfileItem};

json_struct! {
    /// Text element (`kTIMElem_Text`).
    pub struct TextElem {
        content: String = ("kTIMTextElemContent", "text_elem_content"),
    }
}

impl TextElem {
    /// A text element with the given content.
    pub fn new(content: impl Into<String>) -> Self {
        Self {
            content: Some(content.into()),
        }
    }

    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; content);
        self
    }
}

json_struct! {
    /// Image element (`kTIMElem_Image`).
    pub struct ImageElem {
        orig_path: String = ("kTIMImageElemOrigPath", "image_elem_orig_path"),
        level: ImageLevel = ("kTIMImageElemLevel", "image_elem_level"),
        format: i32 = ("kTIMImageElemFormat", "image_elem_format"),
        orig_id: String = ("kTIMImageElemOrigId", "image_elem_orig_id"),
        orig_pic_height: i32 = ("kTIMImageElemOrigPicHeight", "image_elem_orig_pic_height"),
        orig_pic_width: i32 = ("kTIMImageElemOrigPicWidth", "image_elem_orig_pic_width"),
        orig_pic_size: i32 = ("kTIMImageElemOrigPicSize", "image_elem_orig_pic_size"),
        thumb_id: String = ("kTIMImageElemThumbId", "image_elem_thumb_id"),
        thumb_pic_height: i32 = ("kTIMImageElemThumbPicHeight", "image_elem_thumb_pic_height"),
        thumb_pic_width: i32 = ("kTIMImageElemThumbPicWidth", "image_elem_thumb_pic_width"),
        thumb_pic_size: i32 = ("kTIMImageElemThumbPicSize", "image_elem_thumb_pic_size"),
        large_id: String = ("kTIMImageElemLargeId", "image_elem_large_id"),
        large_pic_height: i32 = ("kTIMImageElemLargePicHeight", "image_elem_large_pic_height"),
        large_pic_width: i32 = ("kTIMImageElemLargePicWidth", "image_elem_large_pic_width"),
        large_pic_size: i32 = ("kTIMImageElemLargePicSize", "image_elem_large_pic_size"),
        orig_url: String = ("kTIMImageElemOrigUrl", "image_elem_orig_url"),
        thumb_url: String = ("kTIMImageElemThumbUrl", "image_elem_thumb_url"),
        large_url: String = ("kTIMImageElemLargeUrl", "image_elem_large_url"),
        task_id: i32 = ("kTIMImageElemTaskId", "image_elem_task_id"),
    }
}

impl ImageElem {
    /// Fills every absent key with its default (`image_elem_level`: Compression, the documented
    /// default).
    pub fn complete(mut self) -> Self {
        fill!(self; orig_path, level = ImageLevel::COMPRESSION, format, orig_id, orig_pic_height,
            orig_pic_width, orig_pic_size, thumb_id, thumb_pic_height, thumb_pic_width,
            thumb_pic_size, large_id, large_pic_height, large_pic_width, large_pic_size,
            orig_url, thumb_url, large_url, task_id);
        self
    }
}

json_struct! {
    /// Audio element (`kTIMElem_Sound`).
    pub struct SoundElem {
        file_path: String = ("kTIMSoundElemFilePath", "sound_elem_file_path"),
        /// Byte size (the header comment says seconds; it is bytes).
        file_size: i32 = ("kTIMSoundElemFileSize", "sound_elem_file_size"),
        /// Duration in seconds.
        file_time: i32 = ("kTIMSoundElemFileTime", "sound_elem_file_time"),
        file_id: String = ("kTIMSoundElemFileId", "sound_elem_file_id"),
        business_id: i32 = ("kTIMSoundElemBusinessId", "sound_elem_business_id"),
        download_flag: i32 = ("kTIMSoundElemDownloadFlag", "sound_elem_download_flag"),
        url: String = ("kTIMSoundElemUrl", "sound_elem_url"),
        task_id: i32 = ("kTIMSoundElemTaskId", "sound_elem_task_id"),
    }
}

impl SoundElem {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; file_path, file_size, file_time, file_id, business_id, download_flag, url,
            task_id);
        self
    }
}

json_struct! {
    /// Custom element (`kTIMElem_Custom`).
    pub struct CustomElem {
        data: String = ("kTIMCustomElemData", "custom_elem_data"),
        desc: String = ("kTIMCustomElemDesc", "custom_elem_desc"),
        ext: String = ("kTIMCustomElemExt", "custom_elem_ext"),
        sound: String = ("kTIMCustomElemSound", "custom_elem_sound"),
    }
}

impl CustomElem {
    /// Fills every absent key with an empty string.
    pub fn complete(mut self) -> Self {
        fill!(self; data, desc, ext, sound);
        self
    }
}

json_struct! {
    /// File element (`kTIMElem_File`).
    pub struct FileElem {
        file_path: String = ("kTIMFileElemFilePath", "file_elem_file_path"),
        file_name: String = ("kTIMFileElemFileName", "file_elem_file_name"),
        file_size: i32 = ("kTIMFileElemFileSize", "file_elem_file_size"),
        file_id: String = ("kTIMFileElemFileId", "file_elem_file_id"),
        business_id: i32 = ("kTIMFileElemBusinessId", "file_elem_business_id"),
        download_flag: i32 = ("kTIMFileElemDownloadFlag", "file_elem_download_flag"),
        url: String = ("kTIMFileElemUrl", "file_elem_url"),
        task_id: i32 = ("kTIMFileElemTaskId", "file_elem_task_id"),
    }
}

impl FileElem {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; file_path, file_name, file_size, file_id, business_id, download_flag, url,
            task_id);
        self
    }
}

json_struct! {
    /// One changed group property of a group tip (`GroupTipGroupChangeInfo`).
    pub struct GroupTipGroupChangeInfo {
        flag: GroupTipGroupChangeFlag = ("kTIMGroupTipGroupChangeInfoFlag", "group_tips_group_change_info_flag"),
        value: String = ("kTIMGroupTipGroupChangeInfoValue", "group_tips_group_change_info_value"),
        /// Custom field name (flag Custom only).
        key: String = ("kTIMGroupTipGroupChangeInfoKey", "group_tips_group_change_info_key"),
    }
}

impl GroupTipGroupChangeInfo {
    /// Fills the flag and value with their defaults; the key (a custom field's name) is
    /// written only when set, as in the seed's tip.
    pub fn complete(mut self) -> Self {
        fill!(self; flag, value);
        self
    }
}

json_struct! {
    /// One member change of a group tip (`GroupTipMemberChangeInfo`).
    pub struct GroupTipMemberChangeInfo {
        identifier: String = ("kTIMGroupTipMemberChangeInfoIdentifier", "group_tips_member_change_info_identifier"),
        /// Mute duration in seconds (the key is camel-case `shutupTime`).
        shutup_time: u32 = ("kTIMGroupTipMemberChangeInfoShutupTime", "group_tips_member_change_info_shutupTime"),
    }
}

impl GroupTipMemberChangeInfo {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; identifier, shutup_time);
        self
    }
}

json_struct! {
    /// Group tip delivered to all members (`kTIMElem_GroupTips`).
    pub struct GroupTipsElem {
        tip_type: GroupTipType = ("kTIMGroupTipsElemTipType", "group_tips_elem_tip_type"),
        op_user: String = ("kTIMGroupTipsElemOpUser", "group_tips_elem_op_user"),
        group_name: String = ("kTIMGroupTipsElemGroupName", "group_tips_elem_group_name"),
        group_id: String = ("kTIMGroupTipsElemGroupId", "group_tips_elem_group_id"),
        time: u32 = ("kTIMGroupTipsElemTime", "group_tips_elem_time"),
        user_array: Vec<String> = ("kTIMGroupTipsElemUserArray", "group_tips_elem_user_array"),
        group_change_info_array: Vec<GroupTipGroupChangeInfo> = ("kTIMGroupTipsElemGroupChangeInfoArray", "group_tips_elem_group_change_info_array"),
        member_change_info_array: Vec<GroupTipMemberChangeInfo> = ("kTIMGroupTipsElemMemberChangeInfoArray", "group_tips_elem_member_change_info_array"),
        op_user_info: UserProfile = ("kTIMGroupTipsElemOpUserInfo", "group_tips_elem_op_user_info"),
        op_group_memberinfo: GroupMemberInfo = ("kTIMGroupTipsElemOpGroupMemberInfo", "group_tips_elem_op_group_memberinfo"),
        changed_user_info_array: Vec<UserProfile> = ("kTIMGroupTipsElemChangedUserInfoArray", "group_tips_elem_changed_user_info_array"),
        changed_group_memberinfo_array: Vec<GroupMemberInfo> = ("kTIMGroupTipsElemChangedGroupMemberInfoArray", "group_tips_elem_changed_group_memberinfo_array"),
        member_num: u32 = ("kTIMGroupTipsElemMemberNum", "group_tips_elem_member_num"),
        /// Operator platform name, e.g. "Windows".
        platform: String = ("kTIMGroupTipsElemPlatform", "group_tips_elem_platform"),
    }
}

impl GroupTipsElem {
    /// Fills the keys of the seed's group tip (TIMRecvNewMsgCallback Example 4) with their
    /// defaults, the operator's member info as a completed empty object; the user profiles
    /// (`op_user_info`, `changed_user_info_array`), which that example does not carry, are
    /// written only when set. Every array item is completed.
    pub fn complete(mut self) -> Self {
        fill!(self; tip_type, op_user, group_name, group_id, time, user_array, member_num,
            platform, op_group_memberinfo => GroupMemberInfo::complete);
        fill_vec!(self;
            group_change_info_array => GroupTipGroupChangeInfo::complete,
            member_change_info_array => GroupTipMemberChangeInfo::complete,
            changed_group_memberinfo_array => GroupMemberInfo::complete);
        self.op_user_info = self.op_user_info.map(UserProfile::complete);
        self.changed_user_info_array = self
            .changed_user_info_array
            .map(|v| v.into_iter().map(UserProfile::complete).collect());
        self
    }
}

json_struct! {
    /// Emoji element (`kTIMElem_Face`).
    pub struct FaceElem {
        index: i32 = ("kTIMFaceElemIndex", "face_elem_index"),
        buf: String = ("kTIMFaceElemBuf", "face_elem_buf"),
    }
}

impl FaceElem {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; index, buf);
        self
    }
}

json_struct! {
    /// Location element (`kTIMElem_Location`).
    pub struct LocationElem {
        desc: String = ("kTIMLocationElemDesc", "location_elem_desc"),
        longitude: f64 = ("kTIMLocationElemLongitude", "location_elem_longitude"),
        latitude: f64 = ("kTIMLocationElemlatitude", "location_elem_latitude"),
    }
}

impl LocationElem {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; desc, longitude, latitude);
        self
    }
}

json_struct! {
    /// Group system notice to one user (`kTIMElem_GroupReport`).
    pub struct GroupReportElem {
        report_type: GroupReportType = ("kTIMGroupReportElemReportType", "group_report_elem_report_type"),
        group_id: String = ("kTIMGroupReportElemGroupId", "group_report_elem_group_id"),
        group_name: String = ("kTIMGroupReportElemGroupName", "group_report_elem_group_name"),
        op_user: String = ("kTIMGroupReportElemOpUser", "group_report_elem_op_user"),
        msg: String = ("kTIMGroupReportElemMsg", "group_report_elem_msg"),
        user_data: String = ("kTIMGroupReportElemUserData", "group_report_elem_user_data"),
        op_user_info: UserProfile = ("kTIMGroupReportElemOpUserInfo", "group_report_elem_op_user_info"),
        op_group_memberinfo: GroupMemberInfo = ("kTIMGroupReportElemOpGroupMemberInfo", "group_report_elem_op_group_memberinfo"),
        /// Operator platform name, e.g. "Windows".
        platform: String = ("kTIMGroupReportElemPlatform", "group_report_elem_platform"),
    }
}

impl GroupReportElem {
    /// Fills the keys of the seed's group notice (TIMRecvNewMsgCallback Example 3) with their
    /// defaults, the operator's member info as a completed empty object; the operator's
    /// profile (`op_user_info`), which that example does not carry, is written only when set.
    pub fn complete(mut self) -> Self {
        fill!(self; report_type, group_id, group_name, op_user, msg, user_data, platform,
            op_group_memberinfo => GroupMemberInfo::complete);
        self.op_user_info = self.op_user_info.map(UserProfile::complete);
        self
    }
}

json_struct! {
    /// Video element (`kTIMElem_Video`).
    pub struct VideoElem {
        video_type: String = ("kTIMVideoElemVideoType", "video_elem_video_type"),
        video_size: u32 = ("kTIMVideoElemVideoSize", "video_elem_video_size"),
        video_duration: u32 = ("kTIMVideoElemVideoDuration", "video_elem_video_duration"),
        video_path: String = ("kTIMVideoElemVideoPath", "video_elem_video_path"),
        video_id: String = ("kTIMVideoElemVideoId", "video_elem_video_id"),
        business_id: i32 = ("kTIMVideoElemBusinessId", "video_elem_business_id"),
        video_download_flag: i32 = ("kTIMVideoElemVideoDownloadFlag", "video_elem_video_download_flag"),
        video_url: String = ("kTIMVideoElemVideoUrl", "video_elem_video_url"),
        image_type: String = ("kTIMVideoElemImageType", "video_elem_image_type"),
        image_size: u32 = ("kTIMVideoElemImageSize", "video_elem_image_size"),
        image_width: u32 = ("kTIMVideoElemImageWidth", "video_elem_image_width"),
        image_height: u32 = ("kTIMVideoElemImageHeight", "video_elem_image_height"),
        image_path: String = ("kTIMVideoElemImagePath", "video_elem_image_path"),
        image_id: String = ("kTIMVideoElemImageId", "video_elem_image_id"),
        image_download_flag: i32 = ("kTIMVideoElemImageDownloadFlag", "video_elem_image_download_flag"),
        image_url: String = ("kTIMVideoElemImageUrl", "video_elem_image_url"),
        task_id: u32 = ("kTIMVideoElemTaskId", "video_elem_task_id"),
    }
}

impl VideoElem {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; video_type, video_size, video_duration, video_path, video_id, business_id,
            video_download_flag, video_url, image_type, image_size, image_width, image_height,
            image_path, image_id, image_download_flag, image_url, task_id);
        self
    }
}

json_struct! {
    /// Friendship change notice (`kTIMElem_FriendChange`).
    pub struct FriendChangeElem {
        change_type: FriendChangeType = ("kTIMFriendChangeElemChangeType", "friend_change_elem_change_type"),
        friend_add_identifier_array: Vec<String> = ("kTIMFriendChangeElemFriendAddIdentifierArray", "friend_change_elem_friend_add_identifier_array"),
        friend_del_identifier_array: Vec<String> = ("kTIMFriendChangeElemFriendDelIdentifierArray", "friend_change_elem_friend_del_identifier_array"),
        friend_add_pendency_array: Vec<FriendAddPendency> = ("kTIMFriendChangeElemFriendAddPendencyItemArray", "friend_change_elem_friend_add_pendency_array"),
        pendency_del_identifier_array: Vec<String> = ("kTIMFriendChangeElemPendencyDelIdentifierArray", "friend_change_elem_pendency_del_identifier_array"),
        pendency_readed_report_timestamp: u64 = ("kTIMFriendChangeElemPendencyReadedReportTimestamp", "friend_change_elem_pendency_readed_report_timestamp"),
        blacklist_add_identifier_array: Vec<String> = ("kTIMFriendChangeElemBlackListAddIdentifierArray", "friend_change_elem_blacklist_add_identifier_array"),
        blacklist_del_identifier_array: Vec<String> = ("kTIMFriendChangeElemBlackListDelIdentifierArray", "friend_change_elem_blacklist_del_identifier_array"),
        friend_profile_update_item_array: Vec<FriendProfileUpdate> = ("kTIMFriendChangeElemFreindProfileUpdateItemArray", "friend_change_elem_friend_profile_update_item_array"),
        friend_group_add_array: Vec<String> = ("kTIMFriendChangeElemFriendGroupAddIdentifierArray", "friend_change_elem_friend_group_add_array"),
        friend_group_del_array: Vec<String> = ("kTIMFriendChangeElemFriendGroupDelIdentifierArray", "friend_change_elem_friend_group_del_array"),
        friend_group_update_array: Vec<String> = ("kTIMFriendChangeElemFriendGroupModifyIdentifierArray", "friend_change_elem_friend_group_update_array"),
    }
}

impl FriendChangeElem {
    /// Fills every absent key with its default, completing array items.
    pub fn complete(mut self) -> Self {
        fill!(self; change_type, friend_add_identifier_array, friend_del_identifier_array,
            pendency_del_identifier_array, pendency_readed_report_timestamp,
            blacklist_add_identifier_array, blacklist_del_identifier_array,
            friend_group_add_array, friend_group_del_array, friend_group_update_array);
        fill_vec!(self;
            friend_add_pendency_array => FriendAddPendency::complete,
            friend_profile_update_item_array => FriendProfileUpdate::complete);
        self
    }
}

json_struct! {
    /// Profile change notice (`kTIMElem_ProfileChange`).
    pub struct ProfileChangeElem {
        change_type: ProfileChangeType = ("kTIMProfileChangeElemChangeType", "profile_change_elem_change_type"),
        /// The JSON key keeps the SDK's "identifer" spelling.
        from_identifier: String = ("kTIMProfileChangeElemFromIndentifier", "profile_change_elem_from_identifer"),
        user_profile_item: UserProfileItem = ("kTIMProfileChangeElemUserProfileItem", "profile_change_elem_user_profile_item"),
    }
}

impl ProfileChangeElem {
    /// Fills every absent key with its default, completing the profile item.
    pub fn complete(mut self) -> Self {
        fill!(self; change_type, from_identifier,
            user_profile_item => UserProfileItem::complete);
        self
    }
}

json_struct! {
    /// A merged (forwarded bundle) message (`kTIMElem_Merge`, 6.1.2155+). A sender gives the
    /// bundled messages in `message_array`; what is sent and received carries only the title,
    /// the summary lines, the fallback text and the key of the bundle (`relay_json_key`, the
    /// same in `relay_pb_key`), which `TIMMsgDownloadMergerMessage` turns back into the messages.
    pub struct MergerElem {
        title: String = ("kTIMMergerElemTitle", "merge_elem_title"),
        abstract_array: Vec<String> = ("kTIMMergerElemAbstractArray", "merge_elem_abstract_array"),
        compatible_text: String = ("kTIMMergerElemCompatibleText", "merge_elem_compatible_text"),
        message_array: Vec<crate::message::Message> = ("kTIMMergerElemMsgArray", "merge_elem_message_array"),
        layer_over_limit: bool = ("kTIMMergerElemLayersOverLimit", "merge_elem_layer_over_limit"),
        relay_pb_key: String = ("kTIMMergerElemRelayPbKey", "merge_elem_relay_pb_key"),
        relay_json_key: String = ("kTIMMergerElemRelayJsonKey", "merge_elem_relay_json_key"),
        relay_buffer: String = ("kTIMMergerElemRelayBuffer", "merge_elem_relay_buffer"),
    }
}

impl MergerElem {
    /// Fills every absent scalar key with its default; the bundled messages stay as they are
    /// (absent once sent: they are fetched with the key).
    pub fn complete(mut self) -> Self {
        fill!(self; title, compatible_text, layer_over_limit, relay_pb_key, relay_json_key,
            relay_buffer);
        if self.abstract_array.is_none() {
            self.abstract_array = Some(Vec::new());
        }
        self
    }
}

/// One item of `message_elem_array`. See the module docs for how `elem_type` is read.
#[derive(Clone, Debug, PartialEq)]
pub enum Elem {
    Text(TextElem),
    Image(ImageElem),
    Sound(SoundElem),
    Custom(CustomElem),
    File(FileElem),
    GroupTips(GroupTipsElem),
    Face(FaceElem),
    Location(LocationElem),
    GroupReport(GroupReportElem),
    Video(VideoElem),
    FriendChange(FriendChangeElem),
    ProfileChange(ProfileChangeElem),
    Merger(MergerElem),
    /// An element of a type this version does not know: the whole object, `elem_type`
    /// included, written back unchanged.
    Unknown(Map<String, Value>),
}

/// Key prefix of each known element struct.
const PREFIXES: &[(ElemType, &str)] = &[
    (ElemType::TEXT, "text_elem_"),
    (ElemType::IMAGE, "image_elem_"),
    (ElemType::SOUND, "sound_elem_"),
    (ElemType::CUSTOM, "custom_elem_"),
    (ElemType::FILE, "file_elem_"),
    (ElemType::GROUP_TIPS, "group_tips_elem_"),
    (ElemType::FACE, "face_elem_"),
    (ElemType::LOCATION, "location_elem_"),
    (ElemType::GROUP_REPORT, "group_report_elem_"),
    (ElemType::VIDEO, "video_elem_"),
    (ElemType::FRIEND_CHANGE, "friend_change_elem_"),
    (ElemType::PROFILE_CHANGE, "profile_change_elem_"),
    (ElemType::MERGE, "merge_elem_"),
];

/// The element type an object really holds: `declared`, unless the object has no key of that
/// type and its keys name exactly one other known type (see the module docs).
fn effective_type(declared: ElemType, map: &Map<String, Value>) -> ElemType {
    let has = |prefix: &str| map.keys().any(|k| k.starts_with(prefix));
    if PREFIXES.iter().any(|(t, p)| *t == declared && has(p)) {
        return declared;
    }
    let mut found = PREFIXES.iter().filter(|(_, p)| has(p));
    match (found.next(), found.next()) {
        (Some((t, _)), None) => *t,
        _ => declared,
    }
}

impl Elem {
    /// The local file paths of a media element (a sender's or a downloader's device):
    /// `(original, video snapshot)`.
    pub fn local_paths(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Elem::Image(i) => (i.orig_path.as_deref(), None),
            Elem::Sound(s) => (s.file_path.as_deref(), None),
            Elem::File(f) => (f.file_path.as_deref(), None),
            Elem::Video(v) => (v.video_path.as_deref(), v.image_path.as_deref()),
            _ => (None, None),
        }
    }

    /// Whether the element refers to an uploaded file (image, sound, file, video).
    pub fn is_media(&self) -> bool {
        matches!(
            self,
            Elem::Image(_) | Elem::Sound(_) | Elem::File(_) | Elem::Video(_)
        )
    }

    /// The ids of the server's files a media element names: `(original, video snapshot)`.
    pub fn media_ids(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Elem::Image(i) => (i.orig_id.as_deref(), None),
            Elem::Sound(s) => (s.file_id.as_deref(), None),
            Elem::File(f) => (f.file_id.as_deref(), None),
            Elem::Video(v) => (v.video_id.as_deref(), v.image_id.as_deref()),
            _ => (None, None),
        }
    }

    /// Set the local file paths of a media element (see [`Elem::local_paths`]); `None`
    /// removes one. Other elements are left as they are.
    pub fn set_local_paths(&mut self, orig: Option<String>, snapshot: Option<String>) {
        match self {
            Elem::Image(i) => i.orig_path = orig,
            Elem::Sound(s) => s.file_path = orig,
            Elem::File(f) => f.file_path = orig,
            Elem::Video(v) => {
                v.video_path = orig;
                v.image_path = snapshot;
            }
            _ => {}
        }
    }

    /// The element type; for [`Elem::Unknown`] the stored `elem_type` (Invalid if it is
    /// missing or not an integer).
    pub fn elem_type(&self) -> ElemType {
        match self {
            Elem::Text(_) => ElemType::TEXT,
            Elem::Image(_) => ElemType::IMAGE,
            Elem::Sound(_) => ElemType::SOUND,
            Elem::Custom(_) => ElemType::CUSTOM,
            Elem::File(_) => ElemType::FILE,
            Elem::GroupTips(_) => ElemType::GROUP_TIPS,
            Elem::Face(_) => ElemType::FACE,
            Elem::Location(_) => ElemType::LOCATION,
            Elem::GroupReport(_) => ElemType::GROUP_REPORT,
            Elem::Video(_) => ElemType::VIDEO,
            Elem::FriendChange(_) => ElemType::FRIEND_CHANGE,
            Elem::ProfileChange(_) => ElemType::PROFILE_CHANGE,
            Elem::Merger(_) => ElemType::MERGE,
            Elem::Unknown(map) => map
                .get("elem_type")
                .and_then(|v| ElemType::deserialize(v).ok())
                .unwrap_or(ElemType::INVALID),
        }
    }

    /// A text element.
    pub fn text(content: impl Into<String>) -> Elem {
        Elem::Text(TextElem::new(content))
    }

    /// The element with every absent key filled (decision 7); [`Elem::Unknown`] is unchanged.
    pub fn complete(self) -> Elem {
        match self {
            Elem::Text(e) => Elem::Text(e.complete()),
            Elem::Image(e) => Elem::Image(e.complete()),
            Elem::Sound(e) => Elem::Sound(e.complete()),
            Elem::Custom(e) => Elem::Custom(e.complete()),
            Elem::File(e) => Elem::File(e.complete()),
            Elem::GroupTips(e) => Elem::GroupTips(e.complete()),
            Elem::Face(e) => Elem::Face(e.complete()),
            Elem::Location(e) => Elem::Location(e.complete()),
            Elem::GroupReport(e) => Elem::GroupReport(e.complete()),
            Elem::Video(e) => Elem::Video(e.complete()),
            Elem::FriendChange(e) => Elem::FriendChange(e.complete()),
            Elem::ProfileChange(e) => Elem::ProfileChange(e.complete()),
            Elem::Merger(e) => Elem::Merger(e.complete()),
            Elem::Unknown(m) => Elem::Unknown(m),
        }
    }
}

macro_rules! elem_from {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(
            impl From<$ty> for Elem {
                fn from(e: $ty) -> Elem {
                    Elem::$variant(e)
                }
            }
        )*
    };
}

elem_from!(
    Text(TextElem),
    Image(ImageElem),
    Sound(SoundElem),
    Custom(CustomElem),
    File(FileElem),
    GroupTips(GroupTipsElem),
    Face(FaceElem),
    Location(LocationElem),
    GroupReport(GroupReportElem),
    Video(VideoElem),
    FriendChange(FriendChangeElem),
    ProfileChange(ProfileChangeElem),
    Merger(MergerElem),
);

/// `elem_type` first, then the struct's keys.
#[derive(Serialize)]
struct Tagged<'a, T> {
    elem_type: ElemType,
    #[serde(flatten)]
    body: &'a T,
}

impl Serialize for Elem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let elem_type = self.elem_type();
        match self {
            Elem::Text(body) => Tagged { elem_type, body }.serialize(s),
            Elem::Image(body) => Tagged { elem_type, body }.serialize(s),
            Elem::Sound(body) => Tagged { elem_type, body }.serialize(s),
            Elem::Custom(body) => Tagged { elem_type, body }.serialize(s),
            Elem::File(body) => Tagged { elem_type, body }.serialize(s),
            Elem::GroupTips(body) => Tagged { elem_type, body }.serialize(s),
            Elem::Face(body) => Tagged { elem_type, body }.serialize(s),
            Elem::Location(body) => Tagged { elem_type, body }.serialize(s),
            Elem::GroupReport(body) => Tagged { elem_type, body }.serialize(s),
            Elem::Video(body) => Tagged { elem_type, body }.serialize(s),
            Elem::FriendChange(body) => Tagged { elem_type, body }.serialize(s),
            Elem::ProfileChange(body) => Tagged { elem_type, body }.serialize(s),
            Elem::Merger(body) => Tagged { elem_type, body }.serialize(s),
            Elem::Unknown(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Elem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        fn body<T: DeserializeOwned, E: serde::de::Error>(map: Map<String, Value>) -> Result<T, E> {
            T::deserialize(Value::Object(map)).map_err(E::custom)
        }

        let map = Map::<String, Value>::deserialize(d)?;
        let declared = match map.get("elem_type") {
            None => return Err(D::Error::missing_field("elem_type")),
            Some(v) => ElemType::deserialize(v)
                .map_err(|e| D::Error::custom(format_args!("elem_type: {e}")))?,
        };
        Ok(match effective_type(declared, &map) {
            ElemType::TEXT => Elem::Text(body(map)?),
            ElemType::IMAGE => Elem::Image(body(map)?),
            ElemType::SOUND => Elem::Sound(body(map)?),
            ElemType::CUSTOM => Elem::Custom(body(map)?),
            ElemType::FILE => Elem::File(body(map)?),
            ElemType::GROUP_TIPS => Elem::GroupTips(body(map)?),
            ElemType::FACE => Elem::Face(body(map)?),
            ElemType::LOCATION => Elem::Location(body(map)?),
            ElemType::GROUP_REPORT => Elem::GroupReport(body(map)?),
            ElemType::VIDEO => Elem::Video(body(map)?),
            ElemType::FRIEND_CHANGE => Elem::FriendChange(body(map)?),
            ElemType::PROFILE_CHANGE => Elem::ProfileChange(body(map)?),
            ElemType::MERGE => Elem::Merger(body(map)?),
            _ => Elem::Unknown(map),
        })
    }
}
