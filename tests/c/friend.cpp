// friend.cpp - end-to-end friendship check for libImSDK (opentim), two processes against one
// server: a target whose profile asks for confirmation, and a requester who asks to be friends.
// Written as an application of the 2019-2020 C SDK would be (jsoncpp, the key macros and named
// enum members of the headers); every answer and callback is checked against the key sets of
// the seed's examples (TIMCommCallback Examples 16 to 29) and of the callback parameters.
//
// Usage:
//   friend target    USER SIG SERVER DATADIR STRANGER OTHER
//   friend requester USER SIG SERVER DATADIR STRANGER OTHER
//
// target: sets its profile (add permission "need confirmation", a nick, one Tag_Profile_Custom_
//   field), prints "ready", waits for OTHER's request through TIMFriendAddRequestCallback
//   (FriendAddPendency keys), lists the incoming requests (Example 21), agrees and adds back
//   (Example 20), sees OTHER arrive through TIMOnAddFriendCallback, checks the relation (Example
//   23: both ways), changes its nick (OTHER is told), gives OTHER a remark and a custom field,
//   lists its friends (Example 16: the custom fields under the _item_ keys), creates a friend
//   group with OTHER (Example 24), lists it (Example 25), adds STRANGER, who is not a friend, to
//   it (Example 26: 30001 for that one item), deletes OTHER both ways (Example 19; the relation
//   is then none), blocks OTHER and STRANGER (Example 27; TIMFriendBlackListAddedCallback), lists
//   the blacklist (Example 28), unblocks them (Example 29; TIMFriendBlackListDeletedCallback) and
//   prints "target ok".
// requester: asks OTHER to be friends (Example 18: 30539, the request waits), sees its own
//   outgoing request in the pendency list, is told of the new friend (TIMOnAddFriendCallback),
//   reads OTHER's profile from the server (Example 16, the UserProfile list), is told of OTHER's
//   new nick (TIMUpdateFriendProfileCallback), is told of the deletion
//   (TIMOnDeleteFriendCallback), and prints "requester ok".
//
// Any failed check prints "FAIL: ..." and exits 1. A watchdog (alarm) kills a hung process.

#include <json/json.h>

#include "TIMCloud.h"
#include "tim_test.hpp"

#include <unistd.h>

#include <algorithm>
#include <map>

namespace {

// ---------------------------------------------------------------------------------------------
// The seed's key sets

const char* const kUserProfileKeys[] = {
    "user_profile_add_permission", "user_profile_birthday", "user_profile_face_url",   "user_profile_gender",
    "user_profile_identifier",     "user_profile_language", "user_profile_level",      "user_profile_location",
    "user_profile_nick_name",      "user_profile_role",     "user_profile_self_signature"};
const char* const kUserProfileCustomKeys[] = {
    "user_profile_add_permission", "user_profile_birthday",  "user_profile_face_url",
    "user_profile_gender",         "user_profile_identifier", "user_profile_item_custom_string_array",
    "user_profile_language",       "user_profile_level",      "user_profile_location",
    "user_profile_nick_name",      "user_profile_role",       "user_profile_self_signature"};
const char* const kFriendProfileKeys[] = {
    "friend_profile_add_source", "friend_profile_add_time",   "friend_profile_add_wording",
    "friend_profile_group_name_array", "friend_profile_identifier", "friend_profile_remark",
    "friend_profile_user_profile"};
const char* const kFriendProfileCustomKeys[] = {
    "friend_profile_add_source",       "friend_profile_add_time",   "friend_profile_add_wording",
    "friend_profile_group_name_array", "friend_profile_identifier", "friend_profile_item_custom_string_array",
    "friend_profile_remark",           "friend_profile_user_profile"};
const char* const kFriendCustomKeys[] = {"friend_profile_custom_string_info_key",
                                         "friend_profile_custom_string_info_value"};
const char* const kUserCustomKeys[] = {"user_profile_custom_string_info_key", "user_profile_custom_string_info_value"};
const char* const kResultKeys[] = {"friend_result_code", "friend_result_desc", "friend_result_identifier"};
const char* const kPendencyPageKeys[] = {"pendency_page_current_seq", "pendency_page_pendency_info_array",
                                         "pendency_page_start_time", "pendency_page_unread_num"};
const char* const kPendencyInfoKeys[] = {
    "friend_add_pendency_info_add_source", "friend_add_pendency_info_add_time",
    "friend_add_pendency_info_add_wording", "friend_add_pendency_info_idenitifer",
    "friend_add_pendency_info_nick_name",  "friend_add_pendency_info_type"};
const char* const kCheckKeys[] = {
    "friendship_check_friendtype_result_code", "friendship_check_friendtype_result_desc",
    "friendship_check_friendtype_result_identifier", "friendship_check_friendtype_result_relation"};
const char* const kGroupInfoKeys[] = {"friend_group_info_count", "friend_group_info_identifier_array",
                                      "friend_group_info_name"};
// Callback parameters (TIMCloudDef.h: FriendAddPendency, FriendProfileUpdate, FriendProfileItem).
const char* const kAddPendencyKeys[] = {"friend_add_pendency_add_source", "friend_add_pendency_add_wording",
                                        "friend_add_pendency_identifier", "friend_add_pendency_nick_name"};
const char* const kProfileUpdateKeys[] = {"friend_profile_update_identifier", "friend_profile_update_item"};

const char* const kGroupName = "Group123";

// ---------------------------------------------------------------------------------------------
// What the friendship callbacks deliver, by callback

struct Events {
    std::mutex mutex;
    std::condition_variable cv;
    std::map<std::string, std::vector<Json::Value>> by_callback;

    void Add(const char* callback, const char* json) {
        NoteCallbackThread(callback);
        Json::Value parsed;
        std::string error;
        if (!ParseJson(json, parsed, error) || !parsed.isArray()) {
            FAILF("%s: not a JSON array: %s", callback, error.c_str());
            return;
        }
        std::lock_guard<std::mutex> lock(mutex);
        by_callback[callback].push_back(parsed);
        cv.notify_all();
    }

    // Waits for (and removes) the first array `callback` delivered.
    bool Take(const std::string& callback, Json::Value& out) {
        std::unique_lock<std::mutex> lock(mutex);
        std::vector<Json::Value>& list = by_callback[callback];
        if (!cv.wait_for(lock, std::chrono::seconds(kWaitSeconds), [&] { return !list.empty(); })) {
            FAILF("%s did not fire within %d s", callback.c_str(), kWaitSeconds);
            return false;
        }
        out = list.front();
        list.erase(list.begin());
        return true;
    }
};

Events g_events;

void OnAddFriend(const char* json, const void*) { g_events.Add("TIMOnAddFriendCallback", json); }
void OnDeleteFriend(const char* json, const void*) { g_events.Add("TIMOnDeleteFriendCallback", json); }
void OnFriendProfileUpdate(const char* json, const void*) { g_events.Add("TIMUpdateFriendProfileCallback", json); }
void OnFriendRequest(const char* json, const void*) { g_events.Add("TIMFriendAddRequestCallback", json); }
void OnBlackListAdded(const char* json, const void*) { g_events.Add("TIMFriendBlackListAddedCallback", json); }
void OnBlackListDeleted(const char* json, const void*) { g_events.Add("TIMFriendBlackListDeletedCallback", json); }

// Waits for `callback` to name exactly `user` (an array of identifiers).
bool WaitNamed(const char* callback, const std::string& user) {
    Json::Value got;
    if (!g_events.Take(callback, got)) return false;
    if (got.size() != 1 || got[0].asString() != user) {
        FAILF("%s: %s, expected [\"%s\"]", callback, ToJson(got).c_str(), user.c_str());
        return false;
    }
    logf("callback %s: %s", callback, user.c_str());
    return true;
}

// Checks an array of FriendResult: one per user of `users` (in order), each with `codes[i]`.
bool CheckResults(const char* what, const Json::Value& results, const std::vector<std::string>& users,
                  const std::vector<int>& codes) {
    if (!results.isArray() || results.size() != users.size()) {
        FAILF("%s: %s, expected %zu results", what, ToJson(results).c_str(), users.size());
        return false;
    }
    for (Json::ArrayIndex i = 0; i < results.size(); i++) {
        CheckKeys(what, results[i], KEYS(kResultKeys));
        if (results[i][kTIMFriendResultIdentifier].asString() != users[i] ||
            results[i][kTIMFriendResultCode].asInt() != codes[i]) {
            FAILF("%s: item %u is %s, expected %s with code %d", what, i, ToJson(results[i]).c_str(),
                  users[i].c_str(), codes[i]);
            return false;
        }
    }
    logf("%s: %u results with the seed's keys", what, results.size());
    return true;
}

Json::Value Ids(const std::vector<std::string>& users) {
    Json::Value a(Json::arrayValue);
    for (const std::string& u : users) a.append(u);
    return a;
}

// A call whose parameter is `param` as JSON, answering JSON into `out` (or nothing).
bool CallJson(const char* what, int (*fn)(const char*, TIMCommCallback, const void*), const Json::Value& param,
              Json::Value* out) {
    std::string json = ToJson(param);
    return Call(what, [&](TIMCommCallback cb, const void* ud) { return fn(json.c_str(), cb, ud); }, out);
}

// The relation the server sees between the logged-in user and `other` (check type both).
bool CheckRelation(const std::string& other, int relation) {
    Json::Value param;
    param[kTIMFriendshipCheckFriendTypeParamCheckType] = FriendTypeBoth;
    param[kTIMFriendshipCheckFriendTypeParamIdentifierArray] = Ids({other});
    Json::Value got;
    if (!CallJson("TIMFriendshipCheckFriendType", TIMFriendshipCheckFriendType, param, &got)) return false;
    if (!got.isArray() || got.size() != 1) {
        FAILF("TIMFriendshipCheckFriendType: %s", ToJson(got).c_str());
        return false;
    }
    CheckKeys("FriendshipCheckFriendTypeResult (Example 23)", got[0], KEYS(kCheckKeys));
    if (got[0][kTIMFriendshipCheckFriendTypeResultRelation].asInt() != relation ||
        got[0][kTIMFriendshipCheckFriendTypeResultCode].asInt() != 0) {
        FAILF("relation with %s: %s, expected %d", other.c_str(), ToJson(got[0]).c_str(), relation);
        return false;
    }
    logf("relation with %s: %d", other.c_str(), relation);
    return true;
}

bool Setup(const std::string& user, const std::string& sig, const std::string& server, const std::string& data) {
    g_main_thread = std::this_thread::get_id();
    TIMSetOnAddFriendCallback(OnAddFriend, nullptr);
    TIMSetOnDeleteFriendCallback(OnDeleteFriend, nullptr);
    TIMSetUpdateFriendProfileCallback(OnFriendProfileUpdate, nullptr);
    TIMSetFriendAddRequestCallback(OnFriendRequest, nullptr);
    TIMSetFriendBlackListAddedCallback(OnBlackListAdded, nullptr);
    TIMSetFriendBlackListDeletedCallback(OnBlackListDeleted, nullptr);
    TIMSetNetworkStatusListenerCallback(OnNetworkStatus, nullptr);
    if (!InitSdk(server, data)) return false;
    Pending login;
    return Login(user, sig, login, OnComm);
}

// ---------------------------------------------------------------------------------------------
// target

int RunTarget(const std::string& user, const std::string& sig, const std::string& server, const std::string& data,
              const std::string& other, const std::string& stranger) {
    if (!Setup(user, sig, server, data)) return 1;
    Json::Value custom;
    custom[kTIMUserProfileCustemStringInfoKey] = "Tag_Profile_Custom_Str";
    custom[kTIMUserProfileCustemStringInfoValue] = "qcloud";
    Json::Value profile;
    profile[kTIMUserProfileItemAddPermission] = kTIMProfileAddPermission_NeedConfirm;
    profile[kTIMUserProfileItemNickName] = "target";
    profile[kTIMUserProfileItemCustomStringArray].append(custom);
    if (!CallJson("TIMProfileModifySelfUserProfile", TIMProfileModifySelfUserProfile, profile, nullptr)) return 1;
    logf("ready");

    // The request, the pendency list, the answer.
    Json::Value requests;
    if (!g_events.Take("TIMFriendAddRequestCallback", requests)) return 1;
    if (requests.size() != 1 || requests[0][kTIMFriendAddPendencyIdentifier].asString() != other ||
        requests[0][kTIMFriendAddPendencyAddWording].asString() != "hello") {
        FAILF("TIMFriendAddRequestCallback: %s", ToJson(requests).c_str());
        return 1;
    }
    CheckKeys("FriendAddPendency (TIMFriendAddRequestCallback)", requests[0], KEYS(kAddPendencyKeys));
    logf("callback TIMFriendAddRequestCallback: %s", other.c_str());
    Json::Value list_param;
    list_param[kTIMFriendshipGetPendencyListParamType] = FriendPendencyTypeComeIn;
    list_param[kTIMFriendshipGetPendencyListParamStartSeq] = 0;
    list_param[kTIMFriendshipGetPendencyListParamLimitedSize] = 10;
    Json::Value page;
    if (!CallJson("TIMFriendshipGetPendencyList", TIMFriendshipGetPendencyList, list_param, &page)) return 1;
    CheckKeys("PendencyPage (Example 21)", page, KEYS(kPendencyPageKeys));
    const Json::Value& pendencies = page[kTIMPendencyPagePendencyInfoArray];
    if (pendencies.size() != 1 || pendencies[0][kTIMFriendAddPendencyInfoIdentifier].asString() != other ||
        pendencies[0][kTIMFriendAddPendencyInfoType].asInt() != FriendPendencyTypeComeIn) {
        FAILF("pendency list: %s", ToJson(page).c_str());
        return 1;
    }
    CheckKeys("FriendAddPendencyInfo (Example 21)", pendencies[0], KEYS(kPendencyInfoKeys));
    Json::Value answer;
    answer[kTIMFriendResponeIdentifier] = other;
    answer[kTIMFriendResponeAction] = ResponseActionAgreeAndAdd;
    Json::Value handled;
    if (!CallJson("TIMFriendshipHandleFriendAddRequest", TIMFriendshipHandleFriendAddRequest, answer, &handled)) {
        return 1;
    }
    CheckKeys("FriendResult (Example 20)", handled, KEYS(kResultKeys));
    if (handled[kTIMFriendResultCode].asInt() != 0 || handled[kTIMFriendResultIdentifier].asString() != other) {
        FAILF("agree and add: %s", ToJson(handled).c_str());
    }
    if (!WaitNamed("TIMOnAddFriendCallback", other)) return 1;
    if (!CheckRelation(other, FriendCheckBothWay)) return 1;

    // A profile change reaches the friend; the friend's remark and custom field.
    Json::Value nick;
    nick[kTIMUserProfileItemNickName] = "target renamed";
    if (!CallJson("TIMProfileModifySelfUserProfile", TIMProfileModifySelfUserProfile, nick, nullptr)) return 1;
    Json::Value fcustom;
    fcustom[kTIMFriendProfileCustemStringInfoKey] = "Tag_SNS_Custom_Str";
    fcustom[kTIMFriendProfileCustemStringInfoValue] = "qcloud";
    Json::Value modify;
    modify[kTIMFriendshipModifyFriendProfileParamIdentifier] = other;
    modify[kTIMFriendshipModifyFriendProfileParamItem][kTIMFriendProfileItemRemark] = "my friend";
    modify[kTIMFriendshipModifyFriendProfileParamItem][kTIMFriendProfileItemCustomStringArray].append(fcustom);
    if (!CallJson("TIMFriendshipModifyFriendProfile", TIMFriendshipModifyFriendProfile, modify, nullptr)) return 1;
    Json::Value friends;
    if (!Call("TIMFriendshipGetFriendProfileList",
              [&](TIMCommCallback cb, const void* ud) { return TIMFriendshipGetFriendProfileList(cb, ud); },
              &friends)) {
        return 1;
    }
    if (friends.size() != 1 || friends[0][kTIMFriendProfileIdentifier].asString() != other ||
        friends[0][kTIMFriendProfileRemark].asString() != "my friend") {
        FAILF("friend list: %s", ToJson(friends).c_str());
        return 1;
    }
    CheckKeys("FriendProfile with custom fields (Example 16)", friends[0], KEYS(kFriendProfileCustomKeys));
    const Json::Value& fc = friends[0][kTIMFriendProfileItemCustomStringArray];
    if (fc.size() != 1 || fc[0][kTIMFriendProfileCustemStringInfoValue].asString() != "qcloud") {
        FAILF("friend custom fields: %s", ToJson(fc).c_str());
    } else {
        CheckKeys("FriendProfileCustemStringInfo (Example 16)", fc[0], KEYS(kFriendCustomKeys));
    }
    CheckKeys("UserProfile without custom fields (Example 16)", friends[0][kTIMFriendProfileUserProfile],
              KEYS(kUserProfileKeys));
    logf("friend list: %s with a remark and a custom field", other.c_str());

    // Friend groups, one of whose members is not a friend (Example 26).
    Json::Value create;
    create[kTIMFriendshipCreateFriendGroupParamNameArray] = Ids({kGroupName});
    create[kTIMFriendshipCreateFriendGroupParamIdentifierArray] = Ids({other});
    Json::Value created;
    if (!CallJson("TIMFriendshipCreateFriendGroup", TIMFriendshipCreateFriendGroup, create, &created)) return 1;
    CheckResults("FriendResult (Example 24)", created, {other}, {0});
    Json::Value groups;
    if (!CallJson("TIMFriendshipGetFriendGroupList", TIMFriendshipGetFriendGroupList, Ids({kGroupName}), &groups)) {
        return 1;
    }
    if (groups.size() != 1 || groups[0][kTIMFriendGroupInfoName].asString() != kGroupName ||
        groups[0][kTIMFriendGroupInfoCount].asUInt64() != 1 ||
        groups[0][kTIMFriendGroupInfoIdentifierArray][0].asString() != other) {
        FAILF("friend groups: %s", ToJson(groups).c_str());
        return 1;
    }
    CheckKeys("FriendGroupInfo (Example 25)", groups[0], KEYS(kGroupInfoKeys));
    Json::Value change;
    change[kTIMFriendshipModifyFriendGroupParamName] = kGroupName;
    change[kTIMFriendshipModifyFriendGroupParamAddIdentifierArray] = Ids({stranger});
    Json::Value changed;
    if (!CallJson("TIMFriendshipModifyFriendGroup", TIMFriendshipModifyFriendGroup, change, &changed)) return 1;
    if (CheckResults("FriendResult (Example 26)", changed, {stranger}, {30001}) &&
        changed[0][kTIMFriendResultDesc].asString() != "Err_SNS_GroupUpdate_Friend_Not_Exist") {
        FAILF("Example 26 names the reason Err_SNS_GroupUpdate_Friend_Not_Exist: %s", ToJson(changed).c_str());
    }

    // Two-way delete: no relation on either side.
    Json::Value del;
    del[kTIMFriendshipDeleteFriendParamFriendType] = FriendTypeBoth;
    del[kTIMFriendshipDeleteFriendParamIdentifierArray] = Ids({other});
    Json::Value deleted;
    if (!CallJson("TIMFriendshipDeleteFriend", TIMFriendshipDeleteFriend, del, &deleted)) return 1;
    CheckResults("FriendResult (Example 19)", deleted, {other}, {0});
    if (!WaitNamed("TIMOnDeleteFriendCallback", other)) return 1;
    if (!CheckRelation(other, FriendCheckNoRelation)) return 1;

    // The blacklist.
    Json::Value blocked;
    if (!CallJson("TIMFriendshipAddToBlackList", TIMFriendshipAddToBlackList, Ids({other, stranger}), &blocked)) {
        return 1;
    }
    CheckResults("FriendResult (Example 27)", blocked, {other, stranger}, {0, 0});
    Json::Value added;
    if (!g_events.Take("TIMFriendBlackListAddedCallback", added)) return 1;
    if (added.size() != 2) FAILF("TIMFriendBlackListAddedCallback: %s", ToJson(added).c_str());
    for (const Json::Value& p : added) CheckKeys("FriendProfile (TIMFriendBlackListAddedCallback)", p, KEYS(kFriendProfileKeys));
    Json::Value blacklist;
    if (!Call("TIMFriendshipGetBlackList",
              [&](TIMCommCallback cb, const void* ud) { return TIMFriendshipGetBlackList(cb, ud); }, &blacklist)) {
        return 1;
    }
    std::vector<std::string> listed;
    for (const Json::Value& p : blacklist) {
        CheckKeys("FriendProfile (Example 28)", p, KEYS(kFriendProfileKeys));
        CheckKeys("UserProfile (Example 28)", p[kTIMFriendProfileUserProfile], KEYS(kUserProfileKeys));
        listed.push_back(p[kTIMFriendProfileIdentifier].asString());
    }
    std::sort(listed.begin(), listed.end());
    std::vector<std::string> expected = {other, stranger};
    std::sort(expected.begin(), expected.end());
    if (listed != expected) FAILF("blacklist: %s", ToJson(blacklist).c_str());
    logf("blacklist: %zu users with the seed's keys", listed.size());
    Json::Value unblocked;
    if (!CallJson("TIMFriendshipDeleteFromBlackList", TIMFriendshipDeleteFromBlackList, Ids({other, stranger}),
                  &unblocked)) {
        return 1;
    }
    CheckResults("FriendResult (Example 29)", unblocked, {other, stranger}, {0, 0});
    Json::Value removed;
    if (g_events.Take("TIMFriendBlackListDeletedCallback", removed) && removed.size() != 2) {
        FAILF("TIMFriendBlackListDeletedCallback: %s", ToJson(removed).c_str());
    }
    return Finish("target ok");
}

// ---------------------------------------------------------------------------------------------
// requester

int RunRequester(const std::string& user, const std::string& sig, const std::string& server,
                 const std::string& data, const std::string& other) {
    if (!Setup(user, sig, server, data)) return 1;
    Json::Value add;
    add[kTIMFriendshipAddFriendParamIdentifier] = other;
    add[kTIMFriendshipAddFriendParamFriendType] = FriendTypeBoth;
    add[kTIMFriendshipAddFriendParamAddSource] = "AddSource_Type_Linux";
    add[kTIMFriendshipAddFriendParamAddWording] = "hello";
    Json::Value asked;
    if (!CallJson("TIMFriendshipAddFriend", TIMFriendshipAddFriend, add, &asked)) return 1;
    CheckKeys("FriendResult (Example 18)", asked, KEYS(kResultKeys));
    if (asked[kTIMFriendResultCode].asInt() != 30539 || asked[kTIMFriendResultIdentifier].asString() != other) {
        FAILF("adding %s, who needs to confirm: %s, expected code 30539", other.c_str(), ToJson(asked).c_str());
        return 1;
    }
    logf("request sent to %s: 30539, waiting for the answer", other.c_str());
    Json::Value list_param;
    list_param[kTIMFriendshipGetPendencyListParamType] = FriendPendencyTypeSendOut;
    list_param[kTIMFriendshipGetPendencyListParamStartSeq] = 0;
    Json::Value page;
    if (!CallJson("TIMFriendshipGetPendencyList", TIMFriendshipGetPendencyList, list_param, &page)) return 1;
    CheckKeys("PendencyPage (Example 21)", page, KEYS(kPendencyPageKeys));
    const Json::Value& out = page[kTIMPendencyPagePendencyInfoArray];
    if (out.size() != 1 || out[0][kTIMFriendAddPendencyInfoIdentifier].asString() != other ||
        out[0][kTIMFriendAddPendencyInfoType].asInt() != FriendPendencyTypeSendOut) {
        FAILF("outgoing requests: %s", ToJson(page).c_str());
    }
    if (!WaitNamed("TIMOnAddFriendCallback", other)) return 1;

    // The friend's profile from the server: the seed's UserProfile keys, the custom field under
    // the _item_ key.
    Json::Value get;
    get[kTIMFriendShipGetProfileListParamIdentifierArray] = Ids({other, user});
    get[kTIMFriendShipGetProfileListParamForceUpdate] = true;
    Json::Value profiles;
    if (!CallJson("TIMProfileGetUserProfileList", TIMProfileGetUserProfileList, get, &profiles)) return 1;
    if (profiles.size() != 2) {
        FAILF("TIMProfileGetUserProfileList: %s", ToJson(profiles).c_str());
        return 1;
    }
    for (const Json::Value& p : profiles) {
        if (p[kTIMUserProfileIdentifier].asString() == other) {
            CheckKeys("UserProfile with custom fields (Example 16)", p, KEYS(kUserProfileCustomKeys));
            const Json::Value& c = p[kTIMUserProfileItemCustomStringArray][0];
            CheckKeys("UserProfileCustemStringInfo (Example 16)", c, KEYS(kUserCustomKeys));
            if (p[kTIMUserProfileAddPermission].asInt() != kTIMProfileAddPermission_NeedConfirm ||
                c[kTIMUserProfileCustemStringInfoValue].asString() != "qcloud") {
                FAILF("%s's profile: %s", other.c_str(), ToJson(p).c_str());
            }
        } else {
            CheckKeys("UserProfile (Example 16)", p, KEYS(kUserProfileKeys));
        }
    }
    logf("profiles of %s and %s read from the server", other.c_str(), user.c_str());
    Json::Value updates;
    if (!g_events.Take("TIMUpdateFriendProfileCallback", updates)) return 1;
    if (updates.size() != 1 || updates[0][kTIMFriendProfileUpdateIdentifier].asString() != other) {
        FAILF("TIMUpdateFriendProfileCallback: %s", ToJson(updates).c_str());
    } else {
        CheckKeys("FriendProfileUpdate (TIMUpdateFriendProfileCallback)", updates[0], KEYS(kProfileUpdateKeys));
        logf("callback TIMUpdateFriendProfileCallback: %s", other.c_str());
    }
    if (!WaitNamed("TIMOnDeleteFriendCallback", other)) return 1;
    return Finish("requester ok");
}

int Usage() {
    std::fprintf(stderr,
                 "usage: friend target    USER SIG SERVER DATADIR STRANGER OTHER\n"
                 "       friend requester USER SIG SERVER DATADIR STRANGER OTHER\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 8) return Usage();
    alarm(120);
    std::string mode = argv[1];
    if (mode == "target") return RunTarget(argv[2], argv[3], argv[4], argv[5], argv[7], argv[6]);
    if (mode == "requester") return RunRequester(argv[2], argv[3], argv[4], argv[5], argv[7]);
    return Usage();
}
