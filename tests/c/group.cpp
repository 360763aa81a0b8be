// group.cpp - end-to-end group check for libImSDK (opentim), two processes against one server:
// an owner who runs a group that needs approval, and a member who asks to join it. Written as
// an application of the 2019-2020 C SDK would be (jsoncpp, the key macros and named enum
// members of the headers); the JSON the library hands back is checked against the key sets of
// the seed's examples (group notice, group tip, and TIMCommCallback Examples 9 to 15).
//
// Usage:
//   group owner  USER SIG SERVER DATADIR GROUP MEMBER
//   group member USER SIG SERVER DATADIR GROUP OWNER
//
// owner: creates GROUP (Public, add option "need permission"; CreateGroupResult keys), prints
//   "group created", waits for MEMBER's request (a kTIMGroupReport_AddRequest notice with the
//   seed's GroupReportElem keys, conversation type System, sender @TIM#SYSTEM), lists the
//   pendencies (GroupPendencyResult and GroupPendency keys), accepts it, sees the tip of the new
//   member through TIMSetGroupTipsEventCallback and as a message (GroupTipsElem keys), reads the
//   joined groups, group info and members (GroupBaseInfo, GetGroupInfoResult, member list
//   keys), invites and removes a user (result keys), waits for MEMBER's group message, renames
//   the group, mutes MEMBER for 60 s, and waits for MEMBER's quit tip; then dismisses the group
//   and prints "owner ok".
// member: asks to join GROUP, waits for the kTIMGroupReport_AddAccept notice, sends "hello
//   group" to it, waits for the rename tip (kTIMGroupTipChangeFlag_Name) and the mute tip
//   (kTIMGroupTip_MemberInfoChange), checks a send now fails with 10017, leaves the group and
//   prints "member ok".
//
// Any failed check prints "FAIL: ..." and exits 1. A watchdog (alarm) kills a hung process.

#include <json/json.h>

#include "TIMCloud.h"
#include "tim_test.hpp"

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>

namespace {

// ---------------------------------------------------------------------------------------------
// The seed's key sets

const char* const kReportKeys[] = {
    "elem_type", "group_report_elem_group_id", "group_report_elem_group_name", "group_report_elem_msg",
    "group_report_elem_op_group_memberinfo", "group_report_elem_op_user", "group_report_elem_platform",
    "group_report_elem_report_type", "group_report_elem_user_data"};
const char* const kTipKeys[] = {
    "elem_type", "group_tips_elem_changed_group_memberinfo_array", "group_tips_elem_group_change_info_array",
    "group_tips_elem_group_id", "group_tips_elem_group_name", "group_tips_elem_member_change_info_array",
    "group_tips_elem_member_num", "group_tips_elem_op_group_memberinfo", "group_tips_elem_op_user",
    "group_tips_elem_platform", "group_tips_elem_time", "group_tips_elem_tip_type", "group_tips_elem_user_array"};
const char* const kMemberInfoKeys[] = {
    "group_member_info_custom_info", "group_member_info_identifier", "group_member_info_join_time",
    "group_member_info_member_role", "group_member_info_msg_flag", "group_member_info_msg_seq",
    "group_member_info_name_card", "group_member_info_shutup_time"};
const char* const kCreateKeys[] = {"create_group_result_groupid"};
const char* const kInviteKeys[] = {"group_invite_member_result_identifier", "group_invite_member_result_result"};
const char* const kDeleteKeys[] = {"group_delete_member_result_identifier", "group_delete_member_result_result"};
const char* const kBaseInfoKeys[] = {
    "group_base_info_face_url", "group_base_info_group_id", "group_base_info_group_name",
    "group_base_info_group_type", "group_base_info_info_seq", "group_base_info_is_shutup_all",
    "group_base_info_lastest_seq", "group_base_info_msg_flag", "group_base_info_readed_seq",
    "group_base_info_self_info"};
const char* const kSelfInfoKeys[] = {"group_self_info_join_time", "group_self_info_msg_flag", "group_self_info_role",
                                     "group_self_info_unread_num"};
const char* const kInfoResultKeys[] = {"get_groups_info_result_code", "get_groups_info_result_desc",
                                       "get_groups_info_result_info"};
const char* const kDetailKeys[] = {
    "group_detial_info_add_option", "group_detial_info_create_time", "group_detial_info_custom_info",
    "group_detial_info_face_url", "group_detial_info_group_id", "group_detial_info_group_name",
    "group_detial_info_group_type", "group_detial_info_info_seq", "group_detial_info_introduction",
    "group_detial_info_is_shutup_all", "group_detial_info_last_info_time", "group_detial_info_last_msg_time",
    "group_detial_info_max_member_num", "group_detial_info_member_num", "group_detial_info_next_msg_seq",
    "group_detial_info_notification", "group_detial_info_online_member_num", "group_detial_info_owener_identifier",
    "group_detial_info_searchable", "group_detial_info_visible"};
const char* const kMemberListKeys[] = {"group_get_memeber_info_list_result_info_array",
                                       "group_get_memeber_info_list_result_next_seq"};
const char* const kPendencyResultKeys[] = {
    "group_pendency_result_next_start_time", "group_pendency_result_pendency_array",
    "group_pendency_result_read_time_seq", "group_pendency_result_unread_num"};
const char* const kPendencyKeys[] = {
    "group_pendency_add_time", "group_pendency_apply_invite_msg", "group_pendency_approval_msg",
    "group_pendency_form_identifier", "group_pendency_form_user_defined_data", "group_pendency_group_id",
    "group_pendency_handle_result", "group_pendency_handled", "group_pendency_pendency_type",
    "group_pendency_to_identifier", "group_pendency_to_user_defined_data"};

// ---------------------------------------------------------------------------------------------
// What arrives: messages (TIMAddRecvNewMsgCallback) and tips (TIMSetGroupTipsEventCallback)

struct Inbox {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<Json::Value> messages;
    std::vector<Json::Value> tips;

    void Add(std::vector<Json::Value>& into, const char* json, const char* what) {
        Json::Value parsed;
        std::string error;
        if (!ParseJson(json, parsed, error) || !parsed.isArray()) {
            FAILF("%s: not a JSON array: %s", what, error.c_str());
            return;
        }
        std::lock_guard<std::mutex> lock(mutex);
        for (const Json::Value& item : parsed) into.push_back(item);
        cv.notify_all();
    }

    // Waits for (and removes) the first item of `from` that `match` accepts.
    bool Take(std::vector<Json::Value>& from, const std::function<bool(const Json::Value&)>& match,
              Json::Value& out) {
        std::unique_lock<std::mutex> lock(mutex);
        bool found = cv.wait_for(lock, std::chrono::seconds(kWaitSeconds), [&] {
            return std::any_of(from.begin(), from.end(), match);
        });
        if (!found) return false;
        auto it = std::find_if(from.begin(), from.end(), match);
        out = *it;
        from.erase(it);
        return true;
    }
};

Inbox g_inbox;

void OnNewMessages(const char* json_msg_array, const void* /*user_data*/) {
    NoteCallbackThread("TIMRecvNewMsgCallback");
    g_inbox.Add(g_inbox.messages, json_msg_array, "TIMRecvNewMsgCallback");
}

void OnGroupTips(const char* json_group_tip_array, const void* /*user_data*/) {
    NoteCallbackThread("TIMGroupTipsEventCallback");
    g_inbox.Add(g_inbox.tips, json_group_tip_array, "TIMGroupTipsEventCallback");
}

// Waits for the group notice of `type` about `group`; checks the message and its keys.
bool WaitReport(TIMGroupReportType type, const std::string& group, Json::Value& report) {
    Json::Value msg;
    bool got = g_inbox.Take(
        g_inbox.messages,
        [&](const Json::Value& m) {
            const Json::Value& e = m[kTIMMsgElemArray][0];
            return e[kTIMElemType].asInt() == TIMElemType::kTIMElem_GroupReport &&
                   e[kTIMGroupReportElemReportType].asInt() == type &&
                   e[kTIMGroupReportElemGroupId].asString() == group;
        },
        msg);
    if (!got) {
        FAILF("no group notice of type %d about %s within %d s", static_cast<int>(type), group.c_str(), kWaitSeconds);
        return false;
    }
    if (msg[kTIMMsgConvType].asInt() != kTIMConv_System || msg[kTIMMsgSender].asString() != "@TIM#SYSTEM") {
        FAILF("a group notice comes in the system conversation from @TIM#SYSTEM: %s", ToJson(msg).c_str());
    }
    report = msg[kTIMMsgElemArray][0];
    CheckKeys("GroupReportElem (TIMRecvNewMsgCallback Example 3)", report, KEYS(kReportKeys));
    CheckKeys("group_report_elem_op_group_memberinfo", report[kTIMGroupReportElemOpGroupMemberInfo],
              KEYS(kMemberInfoKeys));
    logf("notice %d about %s from %s", static_cast<int>(type), group.c_str(),
         report[kTIMGroupReportElemOpUser].asString().c_str());
    return true;
}

// Waits for the tip of `type` of `group` that `extra` accepts, through the tips callback; the
// same tip also came as a group message from @TIM#SYSTEM.
bool WaitTip(TIMGroupTipType type, const std::string& group, const std::function<bool(const Json::Value&)>& extra,
             Json::Value& tip) {
    auto match = [&](const Json::Value& t) {
        return t[kTIMElemType].asInt() == TIMElemType::kTIMElem_GroupTips &&
               t[kTIMGroupTipsElemTipType].asInt() == type && t[kTIMGroupTipsElemGroupId].asString() == group &&
               extra(t);
    };
    if (!g_inbox.Take(g_inbox.tips, match, tip)) {
        FAILF("no tip of type %d of %s through TIMSetGroupTipsEventCallback within %d s", static_cast<int>(type),
              group.c_str(), kWaitSeconds);
        return false;
    }
    CheckKeys("GroupTipsElem (TIMRecvNewMsgCallback Example 4)", tip, KEYS(kTipKeys));
    CheckKeys("group_tips_elem_op_group_memberinfo", tip[kTIMGroupTipsElemOpGroupMemberInfo], KEYS(kMemberInfoKeys));
    Json::Value msg;
    bool as_message = g_inbox.Take(
        g_inbox.messages,
        [&](const Json::Value& m) { return match(m[kTIMMsgElemArray][0]); }, msg);
    if (!as_message || msg[kTIMMsgConvType].asInt() != kTIMConv_Group ||
        msg[kTIMMsgConvId].asString() != group || msg[kTIMMsgSender].asString() != "@TIM#SYSTEM") {
        FAILF("tip %d of %s did not come as a group message from @TIM#SYSTEM", static_cast<int>(type), group.c_str());
        return false;
    }
    logf("tip %d of %s by %s", static_cast<int>(type), group.c_str(), tip[kTIMGroupTipsElemOpUser].asString().c_str());
    return true;
}

bool Any(const Json::Value&) { return true; }

bool SendText(const std::string& group, const std::string& text, int32_t want_code) {
    Json::Value elem;
    elem[kTIMElemType] = TIMElemType::kTIMElem_Text;
    elem[kTIMTextElemContent] = text;
    Json::Value msg;
    msg[kTIMMsgElemArray].append(elem);
    std::string json = ToJson(msg);
    Json::Value sent;
    bool ok = Call(
        "TIMMsgSendNewMsg(group)",
        [&](TIMCommCallback cb, const void* ud) {
            return TIMMsgSendNewMsg(group.c_str(), kTIMConv_Group, json.c_str(), cb, ud);
        },
        want_code == 0 ? &sent : nullptr, want_code);
    if (ok && want_code == 0 && (sent[kTIMMsgConvType].asInt() != kTIMConv_Group || sent[kTIMMsgSeq].asUInt64() == 0)) {
        FAILF("the sent group message: %s", ToJson(sent).c_str());
        return false;
    }
    return ok;
}

bool Setup(const std::string& user, const std::string& sig, const std::string& server, const std::string& data) {
    g_main_thread = std::this_thread::get_id();
    TIMAddRecvNewMsgCallback(OnNewMessages, nullptr);
    TIMSetGroupTipsEventCallback(OnGroupTips, nullptr);
    TIMSetNetworkStatusListenerCallback(OnNetworkStatus, nullptr);
    if (!InitSdk(server, data)) return false;
    Pending login;
    return Login(user, sig, login, OnComm);
}

// ---------------------------------------------------------------------------------------------
// owner

int RunOwner(const std::string& user, const std::string& sig, const std::string& server, const std::string& data,
             const std::string& group, const std::string& member) {
    if (!Setup(user, sig, server, data)) return 1;
    Json::Value create;
    create[kTIMCreateGroupParamGroupName] = "opentim group";
    create[kTIMCreateGroupParamGroupId] = group;
    create[kTIMCreateGroupParamGroupType] = kTIMGroup_Public;
    create[kTIMCreateGroupParamAddOption] = kTIMGroupAddOpt_Auth;
    std::string json = ToJson(create);
    Json::Value created;
    if (!Call("TIMGroupCreate",
              [&](TIMCommCallback cb, const void* ud) { return TIMGroupCreate(json.c_str(), cb, ud); }, &created)) {
        return 1;
    }
    CheckKeys("CreateGroupResult (Example 9)", created, KEYS(kCreateKeys));
    if (created[kTIMCreateGroupResultGroupId].asString() != group) FAILF("created %s", ToJson(created).c_str());
    logf("group created %s", group.c_str());

    // The request, the pendency list, the decision.
    Json::Value report;
    if (!WaitReport(kTIMGroupReport_AddRequest, group, report)) return 1;
    if (report[kTIMGroupReportElemOpUser].asString() != member || report[kTIMGroupReportElemMsg].asString() != "let me in") {
        FAILF("the request notice: %s", ToJson(report).c_str());
    }
    Json::Value option;
    option[kTIMGroupPendencyOptionStartTime] = 0;
    option[kTIMGroupPendencyOptionMaxLimited] = 0;
    std::string option_json = ToJson(option);
    Json::Value list;
    if (!Call("TIMGroupGetPendencyList",
              [&](TIMCommCallback cb, const void* ud) { return TIMGroupGetPendencyList(option_json.c_str(), cb, ud); },
              &list)) {
        return 1;
    }
    CheckKeys("GroupPendencyResult (Example 15)", list, KEYS(kPendencyResultKeys));
    const Json::Value& items = list[kTIMGroupPendencyResultPendencyArray];
    if (items.size() != 1 || list[kTIMGroupPendencyResultUnReadNum].asUInt() != 1) {
        FAILF("one unread pendency expected: %s", ToJson(list).c_str());
        return 1;
    }
    const Json::Value& pendency = items[0];
    CheckKeys("GroupPendency (Example 15)", pendency, KEYS(kPendencyKeys));
    if (pendency[kTIMGroupPendencyFromIdentifier].asString() != member ||
        pendency[kTIMGroupPendencyPendencyType].asInt() != kTIMGroupPendency_RequestJoin ||
        pendency[kTIMGroupPendencyHandled].asInt() != kTIMGroupPendency_NotHandle) {
        FAILF("the pendency: %s", ToJson(pendency).c_str());
    }
    uint64_t add_time = pendency[kTIMGroupPendencyAddTime].asUInt64();
    if (!Call("TIMGroupReportPendencyReaded", [&](TIMCommCallback cb, const void* ud) {
            return TIMGroupReportPendencyReaded(add_time, cb, ud);
        }, nullptr)) {
        return 1;
    }
    Json::Value handle;
    handle[kTIMGroupHandlePendencyParamIsAccept] = true;
    handle[kTIMGroupHandlePendencyParamHandleMsg] = "welcome";
    handle[kTIMGroupHandlePendencyParamPendency] = pendency;
    std::string handle_json = ToJson(handle);
    if (!Call("TIMGroupHandlePendency",
              [&](TIMCommCallback cb, const void* ud) { return TIMGroupHandlePendency(handle_json.c_str(), cb, ud); },
              nullptr)) {
        return 1;
    }
    Call("TIMGroupHandlePendency (again)",
         [&](TIMCommCallback cb, const void* ud) { return TIMGroupHandlePendency(handle_json.c_str(), cb, ud); },
         nullptr, 10024 /* ERR_SVR_GROUP_REQ_ALLREADY_BEEN_PROCESSED */);
    Json::Value tip;
    if (!WaitTip(kTIMGroupTip_Invite, group, Any, tip)) return 1;
    if (tip[kTIMGroupTipsElemUserArray].size() != 1 || tip[kTIMGroupTipsElemUserArray][0].asString() != member ||
        tip[kTIMGroupTipsElemMemberNum].asUInt() != 2) {
        FAILF("the join tip: %s", ToJson(tip).c_str());
    }

    // What the group looks like now.
    Json::Value joined;
    if (Call("TIMGroupGetJoinedGroupList",
             [&](TIMCommCallback cb, const void* ud) { return TIMGroupGetJoinedGroupList(cb, ud); }, &joined)) {
        if (joined.size() != 1) FAILF("one joined group expected: %s", ToJson(joined).c_str());
        for (const Json::Value& g : joined) {
            CheckKeys("GroupBaseInfo (Example 12)", g, KEYS(kBaseInfoKeys));
            CheckKeys("GroupSelfInfo (Example 12)", g[kTIMGroupBaseInfoSelfInfo], KEYS(kSelfInfoKeys));
            if (g[kTIMGroupBaseInfoSelfInfo][kTIMGroupSelfInfoRole].asInt() != kTIMMemberRole_Owner) {
                FAILF("the owner's role: %s", ToJson(g).c_str());
            }
        }
    }
    std::string ids = "[\"" + group + "\"]";
    Json::Value info;
    if (Call("TIMGroupGetGroupInfoList",
             [&](TIMCommCallback cb, const void* ud) { return TIMGroupGetGroupInfoList(ids.c_str(), cb, ud); },
             &info)) {
        CheckKeys("GetGroupInfoResult (Example 13)", info[0], KEYS(kInfoResultKeys));
        CheckKeys("GroupDetailInfo (Example 13)", info[0][kTIMGetGroupInfoResultInfo], KEYS(kDetailKeys));
        if (info[0][kTIMGetGroupInfoResultInfo][kTIMGroupDetialInfoMemberNum].asUInt() != 2) {
            FAILF("two members expected: %s", ToJson(info).c_str());
        }
    }
    Json::Value members_param;
    members_param[kTIMGroupGetMemberInfoListParamGroupId] = group;
    std::string members_json = ToJson(members_param);
    Json::Value members;
    if (Call("TIMGroupGetMemberInfoList",
             [&](TIMCommCallback cb, const void* ud) { return TIMGroupGetMemberInfoList(members_json.c_str(), cb, ud); },
             &members)) {
        CheckKeys("GroupGetMemberInfoListResult (Example 14)", members, KEYS(kMemberListKeys));
        const Json::Value& array = members[kTIMGroupGetMemberInfoListResultInfoArray];
        if (array.size() != 2) FAILF("two members expected: %s", ToJson(members).c_str());
        for (const Json::Value& m : array) CheckKeys("GroupMemberInfo (Example 14)", m, KEYS(kMemberInfoKeys));
    }
    Json::Value invite;
    invite[kTIMGroupInviteMemberParamGroupId] = group;
    invite[kTIMGroupInviteMemberParamIdentifierArray].append("nobody-online");
    std::string invite_json = ToJson(invite);
    Json::Value invited;
    if (Call("TIMGroupInviteMember",
             [&](TIMCommCallback cb, const void* ud) { return TIMGroupInviteMember(invite_json.c_str(), cb, ud); },
             &invited)) {
        CheckKeys("GroupInviteMemberResult (Example 10)", invited[0], KEYS(kInviteKeys));
        if (invited[0][kTIMGroupInviteMemberResultResult].asInt() != kTIMGroupMember_Invited) {
            FAILF("an invitation into a group that needs consent waits: %s", ToJson(invited).c_str());
        }
    }
    Json::Value remove;
    remove[kTIMGroupDeleteMemberParamGroupId] = group;
    remove[kTIMGroupDeleteMemberParamIdentifierArray].append("nobody-online");
    std::string remove_json = ToJson(remove);
    Json::Value removed;
    if (Call("TIMGroupDeleteMember",
             [&](TIMCommCallback cb, const void* ud) { return TIMGroupDeleteMember(remove_json.c_str(), cb, ud); },
             &removed)) {
        CheckKeys("GroupDeleteMemberResult (Example 11)", removed[0], KEYS(kDeleteKeys));
        if (removed[0][kTIMGroupDeleteMemberResultResult].asInt() != kTIMGroupMember_HandledErr) {
            FAILF("not a member, not removed: %s", ToJson(removed).c_str());
        }
    }

    // The member speaks; the owner renames the group and mutes the member, who then leaves.
    Json::Value hello;
    if (!g_inbox.Take(
            g_inbox.messages,
            [&](const Json::Value& m) {
                return m[kTIMMsgConvType].asInt() == kTIMConv_Group && m[kTIMMsgSender].asString() == member &&
                       m[kTIMMsgElemArray][0][kTIMTextElemContent].asString() == "hello group";
            },
            hello)) {
        FAILF("no \"hello group\" from %s within %d s", member.c_str(), kWaitSeconds);
        return 1;
    }
    logf("group message from %s", member.c_str());
    Json::Value rename;
    rename[kTIMGroupModifyInfoParamGroupId] = group;
    rename[kTIMGroupModifyInfoParamModifyFlag] = kTIMGroupModifyInfoFlag_Name;
    rename[kTIMGroupModifyInfoParamGroupName] = "renamed";
    std::string rename_json = ToJson(rename);
    if (!Call("TIMGroupModifyGroupInfo",
              [&](TIMCommCallback cb, const void* ud) { return TIMGroupModifyGroupInfo(rename_json.c_str(), cb, ud); },
              nullptr)) {
        return 1;
    }
    Json::Value mute;
    mute[kTIMGroupModifyMemberInfoParamGroupId] = group;
    mute[kTIMGroupModifyMemberInfoParamIdentifier] = member;
    mute[kTIMGroupModifyMemberInfoParamModifyFlag] = kTIMGroupMemberModifyFlag_ShutupTime;
    mute[kTIMGroupModifyMemberInfoParamShutupTime] = 60;
    std::string mute_json = ToJson(mute);
    if (!Call("TIMGroupModifyMemberInfo(mute)",
              [&](TIMCommCallback cb, const void* ud) { return TIMGroupModifyMemberInfo(mute_json.c_str(), cb, ud); },
              nullptr)) {
        return 1;
    }
    if (!WaitTip(kTIMGroupTip_Quit, group, Any, tip)) return 1;
    if (!Call("TIMGroupDelete",
              [&](TIMCommCallback cb, const void* ud) { return TIMGroupDelete(group.c_str(), cb, ud); }, nullptr)) {
        return 1;
    }
    return Finish("owner ok");
}

// ---------------------------------------------------------------------------------------------
// member

int RunMember(const std::string& user, const std::string& sig, const std::string& server, const std::string& data,
              const std::string& group, const std::string& owner) {
    if (!Setup(user, sig, server, data)) return 1;
    if (!Call("TIMGroupJoin",
              [&](TIMCommCallback cb, const void* ud) { return TIMGroupJoin(group.c_str(), "let me in", cb, ud); },
              nullptr)) {
        return 1;
    }
    Json::Value report;
    if (!WaitReport(kTIMGroupReport_AddAccept, group, report)) return 1;
    if (report[kTIMGroupReportElemOpUser].asString() != owner || report[kTIMGroupReportElemMsg].asString() != "welcome") {
        FAILF("the acceptance notice: %s", ToJson(report).c_str());
    }
    if (!SendText(group, "hello group", 0)) return 1;
    Json::Value tip;
    auto renamed = [](const Json::Value& t) {
        const Json::Value& changes = t[kTIMGroupTipsElemGroupChangeInfoArray];
        return changes.size() == 1 &&
               changes[0][kTIMGroupTipGroupChangeInfoFlag].asInt() == kTIMGroupTipChangeFlag_Name &&
               changes[0][kTIMGroupTipGroupChangeInfoValue].asString() == "renamed";
    };
    if (!WaitTip(kTIMGroupTip_GroupInfoChange, group, renamed, tip)) return 1;
    if (tip[kTIMGroupTipsElemOpUser].asString() != owner) FAILF("the rename tip: %s", ToJson(tip).c_str());
    auto muted = [&](const Json::Value& t) {
        const Json::Value& changes = t[kTIMGroupTipsElemMemberChangeInfoArray];
        return changes.size() == 1 && changes[0][kTIMGroupTipMemberChangeInfoIdentifier].asString() == user &&
               changes[0][kTIMGroupTipMemberChangeInfoShutupTime].asUInt() == 60;
    };
    if (!WaitTip(kTIMGroupTip_MemberInfoChange, group, muted, tip)) return 1;
    SendText(group, "muted?", 10017 /* ERR_SVR_GROUP_SHUTUP_DENY */);
    if (!Call("TIMGroupQuit",
              [&](TIMCommCallback cb, const void* ud) { return TIMGroupQuit(group.c_str(), cb, ud); }, nullptr)) {
        return 1;
    }
    return Finish("member ok");
}

int Usage() {
    std::fprintf(stderr,
                 "usage: group owner USER SIG SERVER DATADIR GROUP MEMBER\n"
                 "       group member USER SIG SERVER DATADIR GROUP OWNER\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 8) return Usage();
    alarm(120);
    std::string mode = argv[1];
    if (mode == "owner") return RunOwner(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
    if (mode == "member") return RunMember(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
    return Usage();
}
