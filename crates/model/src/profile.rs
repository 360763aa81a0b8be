//! User and friend profile objects carried inside messages and elements.

use crate::enums::{GenderType, ProfileAddPermission};
use crate::serde_util::{kv_list, string_or_number, KeyValue};

json_struct! {
    /// One custom profile field (`UserProfileCustemStringInfo`); the key carries the
    /// `Tag_Profile_Custom_` prefix.
    pub struct UserProfileCustomStringInfo {
        key: String = ("kTIMUserProfileCustemStringInfoKey", "user_profile_custom_string_info_key"),
        value: String = ("kTIMUserProfileCustemStringInfoValue", "user_profile_custom_string_info_value"),
    }
}

impl KeyValue for UserProfileCustomStringInfo {
    fn from_pair(key: String, value: String) -> Self {
        Self::new(key, value)
    }
}

impl UserProfileCustomStringInfo {
    /// A field with both keys set.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            value: Some(value.into()),
        }
    }

    /// Fills absent keys with empty strings.
    pub fn complete(mut self) -> Self {
        fill!(self; key, value);
        self
    }
}

json_struct! {
    /// A user's profile (`UserProfile`).
    pub struct UserProfile {
        identifier: String = ("kTIMUserProfileIdentifier", "user_profile_identifier"),
        nick_name: String = ("kTIMUserProfileNickName", "user_profile_nick_name"),
        gender: GenderType = ("kTIMUserProfileGender", "user_profile_gender"),
        face_url: String = ("kTIMUserProfileFaceUrl", "user_profile_face_url"),
        self_signature: String = ("kTIMUserProfileSelfSignature", "user_profile_self_signature"),
        add_permission: ProfileAddPermission = ("kTIMUserProfileAddPermission", "user_profile_add_permission"),
        location: String = ("kTIMUserProfileLocation", "user_profile_location"),
        language: u32 = ("kTIMUserProfileLanguage", "user_profile_language"),
        birthday: u32 = ("kTIMUserProfileBirthDay", "user_profile_birthday"),
        level: u32 = ("kTIMUserProfileLevel", "user_profile_level"),
        role: u32 = ("kTIMUserProfileRole", "user_profile_role"),
        /// Custom fields; `{}` on input reads as `[]` (decision 5). Written under the `_item_`
        /// key, as in the seed's friend list (TIMCommCallback Example 16); the later
        /// `user_profile_custom_string_array` is read too.
        #[serde(deserialize_with = "kv_list", alias = "user_profile_custom_string_array")]
        custom_string_array: Vec<UserProfileCustomStringInfo> = ("kTIMUserProfileItemCustomStringArray", "user_profile_item_custom_string_array"),
        /// Early (4.2.0–4.4.716) key, removed later: read and written back when present, never
        /// added by [`UserProfile::complete`].
        remark: String = ("kTIMUserProfileRemark", "user_profile_remark"),
    }
}

impl UserProfile {
    /// Fills every absent current key with its default (the removed `user_profile_remark`
    /// excepted). The custom fields are written only when there are some, as in the seed's
    /// profile (TIMCommCallback Example 16); each is completed.
    pub fn complete(mut self) -> Self {
        fill!(self; identifier, nick_name, gender, face_url, self_signature, add_permission,
            location, language, birthday, level, role);
        self.custom_string_array = self.custom_string_array.filter(|c| !c.is_empty()).map(|c| {
            c.into_iter()
                .map(UserProfileCustomStringInfo::complete)
                .collect()
        });
        self
    }
}

json_struct! {
    /// Changed profile fields (`UserProfileItem`), as in a profile-change notice.
    pub struct UserProfileItem {
        nick_name: String = ("kTIMUserProfileItemNickName", "user_profile_item_nick_name"),
        gender: GenderType = ("kTIMUserProfileItemGender", "user_profile_item_gender"),
        face_url: String = ("kTIMUserProfileItemFaceUrl", "user_profile_item_face_url"),
        self_signature: String = ("kTIMUserProfileItemSelfSignature", "user_profile_item_self_signature"),
        add_permission: ProfileAddPermission = ("kTIMUserProfileItemAddPermission", "user_profile_item_add_permission"),
        /// A string; era headers typed it uint, so a number is read as its decimal text.
        #[serde(deserialize_with = "string_or_number")]
        location: String = ("kTIMUserProfileItemLoaction", "user_profile_item_location"),
        language: u32 = ("kTIMUserProfileItemLanguage", "user_profile_item_language"),
        birthday: u32 = ("kTIMUserProfileItemBirthDay", "user_profile_item_birthday"),
        level: u32 = ("kTIMUserProfileItemLevel", "user_profile_item_level"),
        role: u32 = ("kTIMUserProfileItemRole", "user_profile_item_role"),
        /// Custom fields; `{}` on input reads as `[]` (decision 5).
        #[serde(deserialize_with = "kv_list")]
        custom_string_array: Vec<UserProfileCustomStringInfo> = ("kTIMUserProfileItemCustomStringArray", "user_profile_item_custom_string_array"),
    }
}

impl UserProfileItem {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; nick_name, gender, face_url, self_signature, add_permission, location,
            language, birthday, level, role);
        fill_vec!(self; custom_string_array => UserProfileCustomStringInfo::complete);
        self
    }
}

json_struct! {
    /// One custom friend field (`FriendProfileCustemStringInfo`).
    pub struct FriendProfileCustomStringInfo {
        key: String = ("kTIMFriendProfileCustemStringInfoKey", "friend_profile_custom_string_info_key"),
        value: String = ("kTIMFriendProfileCustemStringInfoValue", "friend_profile_custom_string_info_value"),
    }
}

impl KeyValue for FriendProfileCustomStringInfo {
    fn from_pair(key: String, value: String) -> Self {
        Self::new(key, value)
    }
}

impl FriendProfileCustomStringInfo {
    /// A field with both keys set.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: Some(key.into()),
            value: Some(value.into()),
        }
    }

    /// Fills absent keys with empty strings.
    pub fn complete(mut self) -> Self {
        fill!(self; key, value);
        self
    }
}

json_struct! {
    /// Changed friend fields (`FriendProfileItem`).
    pub struct FriendProfileItem {
        remark: String = ("kTIMFriendProfileItemRemark", "friend_profile_item_remark"),
        group_name_array: Vec<String> = ("kTIMFriendProfileItemGroupNameArray", "friend_profile_item_group_name_array"),
        /// Custom fields; `{}` on input reads as `[]` (decision 5).
        #[serde(deserialize_with = "kv_list")]
        custom_string_array: Vec<FriendProfileCustomStringInfo> = ("kTIMFriendProfileItemCustomStringArray", "friend_profile_item_custom_string_array"),
    }
}

impl FriendProfileItem {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; remark, group_name_array);
        fill_vec!(self; custom_string_array => FriendProfileCustomStringInfo::complete);
        self
    }
}

json_struct! {
    /// One friend's changed data (`FriendProfileUpdate`).
    pub struct FriendProfileUpdate {
        identifier: String = ("kTIMFriendProfileUpdateIdentifier", "friend_profile_update_identifier"),
        item: FriendProfileItem = ("kTIMFriendProfileUpdateItem", "friend_profile_update_item"),
    }
}

impl FriendProfileUpdate {
    /// Fills every absent key with its default, completing the item.
    pub fn complete(mut self) -> Self {
        fill!(self; identifier, item => FriendProfileItem::complete);
        self
    }
}

json_struct! {
    /// A new friend request (`FriendAddPendency`).
    pub struct FriendAddPendency {
        identifier: String = ("kTIMFriendAddPendencyIdentifier", "friend_add_pendency_identifier"),
        nick_name: String = ("kTIMFriendAddPendencyNickName", "friend_add_pendency_nick_name"),
        add_source: String = ("kTIMFriendAddPendencyAddSource", "friend_add_pendency_add_source"),
        add_wording: String = ("kTIMFriendAddPendencyAddWording", "friend_add_pendency_add_wording"),
    }
}

impl FriendAddPendency {
    /// Fills every absent key with an empty string.
    pub fn complete(mut self) -> Self {
        fill!(self; identifier, nick_name, add_source, add_wording);
        self
    }
}

json_struct! {
    /// What `TIMProfileGetUserProfileList` takes (`FriendShipGetProfileListParam`): the users,
    /// and whether to ask the server even for profiles cached on this device.
    pub struct FriendShipGetProfileListParam {
        identifier_array: Vec<String> = ("kTIMFriendShipGetProfileListParamIdentifierArray", "friendship_getprofilelist_param_identifier_array"),
        force_update: bool = ("kTIMFriendShipGetProfileListParamForceUpdate", "friendship_getprofilelist_param_force_update"),
    }
}

json_struct! {
    /// One user's result of a batch friendship call (`FriendResult`, Examples 18–29).
    pub struct FriendResult {
        identifier: String = ("kTIMFriendResultIdentifier", "friend_result_identifier"),
        code: i32 = ("kTIMFriendResultCode", "friend_result_code"),
        desc: String = ("kTIMFriendResultDesc", "friend_result_desc"),
    }
}

impl FriendResult {
    /// Success for `user` (code 0, "OK", as the seed's examples show).
    pub fn ok(user: impl Into<String>) -> Self {
        FriendResult {
            identifier: Some(user.into()),
            code: Some(0),
            desc: Some("OK".into()),
        }
    }

    /// Failure `code` for `user`, saying why.
    pub fn failed(user: impl Into<String>, code: i32, desc: impl Into<String>) -> Self {
        FriendResult {
            identifier: Some(user.into()),
            code: Some(code),
            desc: Some(desc.into()),
        }
    }
}

json_struct! {
    /// A friend, or a blocked user, as listed (`FriendProfile`, Examples 16 and 28).
    pub struct FriendProfile {
        identifier: String = ("kTIMFriendProfileIdentifier", "friend_profile_identifier"),
        group_name_array: Vec<String> = ("kTIMFriendProfileGroupNameArray", "friend_profile_group_name_array"),
        remark: String = ("kTIMFriendProfileRemark", "friend_profile_remark"),
        add_wording: String = ("kTIMFriendProfileAddWording", "friend_profile_add_wording"),
        add_source: String = ("kTIMFriendProfileAddSource", "friend_profile_add_source"),
        add_time: u64 = ("kTIMFriendProfileAddTime", "friend_profile_add_time"),
        user_profile: UserProfile = ("kTIMFriendProfileUserProfile", "friend_profile_user_profile"),
        /// Written under the `_item_` key, as in the seed's friend list (TIMCommCallback
        /// Example 16); the later `friend_profile_custom_string_array` is read too.
        #[serde(deserialize_with = "kv_list", alias = "friend_profile_custom_string_array")]
        custom_string_array: Vec<FriendProfileCustomStringInfo> = ("kTIMFriendProfileItemCustomStringArray", "friend_profile_item_custom_string_array"),
    }
}

impl FriendProfile {
    /// Fills the keys of the seed's Example 28 with their defaults (the user profile
    /// completed); the custom fields are written only when there are some.
    pub fn complete(mut self) -> Self {
        fill!(self; identifier, group_name_array, remark, add_wording, add_source, add_time,
            user_profile => UserProfile::complete);
        self.custom_string_array = self.custom_string_array.filter(|c| !c.is_empty()).map(|c| {
            c.into_iter()
                .map(FriendProfileCustomStringInfo::complete)
                .collect()
        });
        self
    }
}
