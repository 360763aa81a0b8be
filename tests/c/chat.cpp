// chat.cpp - end-to-end C2C messaging check for libImSDK (opentim), written the way an
// application of the 2019-2020 C SDK would be: jsoncpp's Json::Reader / Json::Value, the key
// macros of TIMCloudDef.h (kTIMMsgElemArray, kTIMElemType, ...) and the named enum members
// (TIMElemType::kTIMElem_Text, ...), never bare numbers or key strings.
//
// Usage:
//   chat recv USER SIG SERVER DATADIR COUNT [PEER]
//   chat send USER SIG SERVER DATADIR PEER COUNT
//
// SERVER is "ws://host:port" (a bare "host:port" gets "ws://" prepended). The SDKAppID is read
// from the environment variable OPENTIM_SDKAPPID (default 1400000000); it must match the
// server's and the one the UserSig was minted for.
//
// send: logs in as USER, sends the text messages "msg 0" .. "msg COUNT-1" to PEER one after the
//   other (each waits for its TIMCommCallback on a condition variable and checks code 0,
//   message_status kTIMMsg_SendSucc, message_is_from_self, strictly increasing message_seq,
//   sender/conv id), then one custom-element message. The custom message is sent from *inside*
//   the TIMCommCallback of the last text message (re-entrant call on the SDK's callback thread),
//   and a TIMSetConfig query is issued from inside the login callback: both prove that calling
//   the API from a callback does not deadlock. Prints "send ok COUNT".
// recv: logs in as USER and waits (at most 30 s) until COUNT text messages and the one custom
//   message arrived through TIMAddRecvNewMsgCallback; checks texts are "msg 0".."msg COUNT-1",
//   in order, each exactly once, all from PEER (or, without PEER, from one single sender),
//   message_is_from_self false, conv id == sender, strictly increasing message_seq, and the
//   custom element after the texts. Waits one more second to catch late duplicates, then prints
//   "recv ok COUNT", logs out, calls TIMUninit and exits 0.
//
// recv also checks the unread counts (TIMConvGetTotalUnreadMessageCount, TIMConvGetConvList with
//   the seed's ConvInfo key set), reads the conversation (TIMMsgReportReaded) and sees the
//   count drop to 0 (TIMSetConvTotalUnreadMessageCountChangedCallback, TIMConvGetConvInfo). send,
//   with CHAT_EXPECT_RECEIPT=1, then waits for the receiver's read receipt
//   (TIMSetMsgReadedReceiptCallback) before it prints "send ok".
//
// Both modes also check the thread rule of the headers: every callback ran on one library
// thread, never on the calling thread.
//
// Any failed check prints "FAIL: ..." and exits 1. A watchdog (alarm) kills a hung process.

#include <json/json.h>

#include "TIMCloud.h"
#include "tim_test.hpp"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

const char kCustomData[] = "opentim custom payload {\"k\":[1,2]} \\ end";
const char kCustomDesc[] = "custom desc";
const char kCustomExt[] = "custom ext";

// ---------------------------------------------------------------------------------------------
// recv

struct Received {
    std::string sender;
    std::string conv_id;
    uint32_t conv_type = 0;
    bool is_from_self = false;
    uint64_t seq = 0;
    uint32_t elem_type = 0;
    std::string text;         // text element content
    std::string custom_data;  // custom element data
    std::string custom_desc;
    std::string custom_ext;
};

struct RecvState {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<Received> messages;  // one entry per element, in arrival order
    std::vector<std::string> errors;
    int texts = 0;
    int customs = 0;
    int batches = 0;
};

RecvState g_recv;

void OnRecvNewMsg(const char* json_msg_array, const void* user_data) {
    NoteCallbackThread("TIMRecvNewMsgCallback");
    RecvState* state = static_cast<RecvState*>(const_cast<void*>(user_data));
    std::lock_guard<std::mutex> lock(state->mutex);
    ++state->batches;
    if (state != &g_recv) {
        state->errors.push_back("new-message callback got a foreign user_data");
        state->cv.notify_all();
        return;
    }

    Json::Value json_value_msgs;
    std::string error;
    if (!ParseJson(json_msg_array, json_value_msgs, error)) {
        state->errors.push_back("cannot parse json_msg_array: " + error);
        state->cv.notify_all();
        return;
    }
    if (!json_value_msgs.isArray()) {
        state->errors.push_back(std::string("json_msg_array is not an array: ") + json_msg_array);
        state->cv.notify_all();
        return;
    }
    for (Json::ArrayIndex i = 0; i < json_value_msgs.size(); i++) {
        Json::Value& json_value_msg = json_value_msgs[i];
        Json::Value& elems = json_value_msg[kTIMMsgElemArray];
        if (!elems.isArray() || elems.size() == 0) {
            state->errors.push_back("message without elements: " + ToJson(json_value_msg));
            continue;
        }
        for (Json::ArrayIndex m = 0; m < elems.size(); m++) {
            Json::Value& elem = elems[m];
            Received r;
            r.sender = json_value_msg[kTIMMsgSender].asString();
            r.conv_id = json_value_msg[kTIMMsgConvId].asString();
            r.conv_type = json_value_msg[kTIMMsgConvType].asUInt();
            r.is_from_self = json_value_msg[kTIMMsgIsFormSelf].asBool();
            r.seq = json_value_msg[kTIMMsgSeq].asUInt64();
            r.elem_type = elem[kTIMElemType].asUInt();

            uint32_t elem_type = r.elem_type;
            if (elem_type == TIMElemType::kTIMElem_Text) {
                r.text = elem[kTIMTextElemContent].asString();
                ++state->texts;
                std::printf("recv text \"%s\" from %s seq %llu\n", r.text.c_str(), r.sender.c_str(),
                            static_cast<unsigned long long>(r.seq));
            } else if (elem_type == TIMElemType::kTIMElem_Custom) {
                r.custom_data = elem[kTIMCustomElemData].asString();
                r.custom_desc = elem[kTIMCustomElemDesc].asString();
                r.custom_ext = elem[kTIMCustomElemExt].asString();
                ++state->customs;
                std::printf("recv custom data=\"%s\" desc=\"%s\" ext=\"%s\" from %s seq %llu\n",
                            r.custom_data.c_str(), r.custom_desc.c_str(), r.custom_ext.c_str(),
                            r.sender.c_str(), static_cast<unsigned long long>(r.seq));
            } else if (elem_type == TIMElemType::kTIMElem_Image || elem_type == TIMElemType::kTIMElem_Sound ||
                       elem_type == TIMElemType::kTIMElem_File || elem_type == TIMElemType::kTIMElem_Video ||
                       elem_type == TIMElemType::kTIMElem_Face || elem_type == TIMElemType::kTIMElem_Location ||
                       elem_type == TIMElemType::kTIMElem_GroupTips ||
                       elem_type == TIMElemType::kTIMElem_GroupReport) {
                state->errors.push_back("unexpected element type " + std::to_string(elem_type) + ": " +
                                        ToJson(json_value_msg));
            } else {
                state->errors.push_back("unknown element type " + std::to_string(elem_type) + ": " +
                                        ToJson(json_value_msg));
            }
            state->messages.push_back(r);
        }
    }
    std::fflush(stdout);
    state->cv.notify_all();
}

// Conversation events (TIMSetConvEventCallback): one record per conversation per event.
struct ConvRecord {
    int event = -1;
    std::string conv_id;
    uint32_t conv_type = 0;
    uint64_t unread = 0;
    bool has_last = false;
};

struct ConvState {
    std::mutex mutex;
    std::vector<ConvRecord> records;
    std::vector<std::string> errors;
};

ConvState g_conv;

void OnConvEvent(enum TIMConvEvent conv_event, const char* json_conv_array, const void* user_data) {
    NoteCallbackThread("TIMConvEventCallback");
    ConvState* state = static_cast<ConvState*>(const_cast<void*>(user_data));
    std::lock_guard<std::mutex> lock(state->mutex);
    Json::Value convs;
    std::string error;
    if (!ParseJson(json_conv_array, convs, error) || !convs.isArray() || convs.size() == 0) {
        state->errors.push_back(std::string("json_conv_array is not a non-empty array: ") + json_conv_array);
        return;
    }
    for (Json::ArrayIndex i = 0; i < convs.size(); i++) {
        Json::Value& c = convs[i];
        if (!c.isMember(kTIMConvId) || !c.isMember(kTIMConvType) || !c.isMember(kTIMConvUnReadNum) ||
            !c.isMember(kTIMConvActiveTime) || !c.isMember(kTIMConvIsHasLastMsg)) {
            state->errors.push_back("ConvInfo lacks keys: " + ToJson(c));
            continue;
        }
        ConvRecord r;
        r.event = static_cast<int>(conv_event);
        r.conv_id = c[kTIMConvId].asString();
        r.conv_type = c[kTIMConvType].asUInt();
        r.unread = c[kTIMConvUnReadNum].asUInt64();
        r.has_last = c[kTIMConvIsHasLastMsg].asBool() && c[kTIMConvLastMsg].isObject();
        state->records.push_back(r);
    }
}

// The conversation with `peer` must be announced: kTIMConvEvent_Add first when this device had
// never seen it (`fresh`), kTIMConvEvent_Update after, with a last message and unread messages.
void CheckConvEvents(const std::string& peer, bool fresh) {
    std::lock_guard<std::mutex> lock(g_conv.mutex);
    for (const std::string& e : g_conv.errors) FAILF("recv: conversation event: %s", e.c_str());
    int seen = 0;
    for (const ConvRecord& r : g_conv.records) {
        if (r.conv_id != peer) continue;
        if (r.conv_type != static_cast<uint32_t>(kTIMConv_C2C)) FAILF("recv: conversation %s has type %u", peer.c_str(), r.conv_type);
        int want = (fresh && seen == 0) ? kTIMConvEvent_Add : kTIMConvEvent_Update;
        if (r.event != want) FAILF("recv: conversation event %d for %s is %d, expected %d", seen, peer.c_str(), r.event, want);
        if (!r.has_last) FAILF("recv: conversation event %d for %s has no last message", seen, peer.c_str());
        ++seen;
    }
    if (seen == 0) FAILF("recv: no TIMConvEventCallback for the conversation with %s", peer.c_str());
    if (!g_conv.records.empty() && g_conv.records.back().unread == 0) FAILF("recv: the last conversation event shows no unread message");
    if (!g_failed) logf("recv conv events ok (%d for %s, first %s)", seen, peer.c_str(), fresh ? "Add" : "Update");
}

// Total unread counts reported through TIMSetConvTotalUnreadMessageCountChangedCallback.
struct UnreadState {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<int> totals;
};

UnreadState g_unread;

void OnTotalUnread(int total_unread_count, const void* user_data) {
    NoteCallbackThread("TIMConvTotalUnreadMessageCountChangedCallback");
    UnreadState* state = static_cast<UnreadState*>(const_cast<void*>(user_data));
    std::lock_guard<std::mutex> lock(state->mutex);
    state->totals.push_back(total_unread_count);
    state->cv.notify_all();
}

// The result JSON of a TIMCommCallback call, parsed; false (after FAILF) when it failed.
bool CallJson(Pending& pending, int rc, Json::Value& out) {
    if (rc != TIM_SUCC) {
        FAILF("%s returned %d", pending.what, rc);
        return false;
    }
    if (!WaitOk(pending)) return false;
    std::string error;
    if (!ParseJson(pending.json.c_str(), out, error)) {
        FAILF("%s: result does not parse: %s (%s)", pending.what, error.c_str(), pending.json.c_str());
        return false;
    }
    return true;
}

// After every message arrived: `unread` unread in the conversation with `peer` and in all,
// the list with the seed's ConvInfo key set; TIMMsgReportReaded clears the count, which the
// count callback, TIMConvGetConvInfo and TIMConvGetTotalUnreadMessageCount then show.
void CheckReading(const std::string& peer, uint64_t unread) {
    Json::Value total;
    Pending total_call;
    total_call.what = "TIMConvGetTotalUnreadMessageCount";
    if (!CallJson(total_call, TIMConvGetTotalUnreadMessageCount(OnComm, &total_call), total)) return;
    if (total[kTIMConvGetTotalUnreadMessageCountResultUnreadCount].asUInt64() != unread) {
        FAILF("recv: total unread %s, expected %llu", total_call.json.c_str(), static_cast<unsigned long long>(unread));
    }
    Json::Value list;
    Pending list_call;
    list_call.what = "TIMConvGetConvList";
    if (!CallJson(list_call, TIMConvGetConvList(OnComm, &list_call), list)) return;
    // The key set of the seed's ConvInfo examples (TIMCommCallback Examples 2 and 3).
    static const char* const kConv[] = {kTIMConvActiveTime, kTIMConvId, kTIMConvIsHasDraft, kTIMConvIsHasLastMsg,
                                        kTIMConvLastMsg, kTIMConvOwner, kTIMConvType, kTIMConvUnReadNum};
    bool found = false;
    for (Json::ArrayIndex i = 0; list.isArray() && i < list.size(); i++) {
        if (!SameKeys(list[i], kConv, 8)) FAILF("recv: ConvInfo has not the seed's key set: %s", ToJson(list[i]).c_str());
        if (list[i][kTIMConvId].asString() == peer) {
            found = true;
            if (list[i][kTIMConvUnReadNum].asUInt64() != unread) FAILF("recv: conversation list shows %s", ToJson(list[i]).c_str());
        }
    }
    if (!found) FAILF("recv: TIMConvGetConvList lacks %s: %s", peer.c_str(), list_call.json.c_str());

    Pending read;
    read.what = "TIMMsgReportReaded";
    int rc = TIMMsgReportReaded(peer.c_str(), kTIMConv_C2C, nullptr, OnComm, &read);
    if (rc != TIM_SUCC) {
        FAILF("TIMMsgReportReaded returned %d", rc);
        return;
    }
    if (!WaitOk(read)) return;
    if (read.json != "") FAILF("TIMMsgReportReaded result is \"%s\", expected \"\"", read.json.c_str());
    {
        std::unique_lock<std::mutex> lock(g_unread.mutex);
        bool zero = g_unread.cv.wait_for(lock, std::chrono::seconds(kWaitSeconds), [] {
            return !g_unread.totals.empty() && g_unread.totals.back() == 0;
        });
        if (!zero) FAILF("recv: no total unread count of 0 after TIMMsgReportReaded");
    }
    Json::Value wanted(Json::arrayValue);
    Json::Value one;
    one[kTIMGetConversationListParamConvId] = peer;
    one[kTIMGetConversationListParamConvType] = static_cast<int>(kTIMConv_C2C);
    wanted.append(one);
    std::string json = ToJson(wanted);
    Json::Value info;
    Pending info_call;
    info_call.what = "TIMConvGetConvInfo";
    if (!CallJson(info_call, TIMConvGetConvInfo(json.c_str(), OnComm, &info_call), info)) return;
    if (!info.isArray() || info.size() != 1 || info[0][kTIMConvUnReadNum].asUInt64() != 0) {
        FAILF("recv: TIMConvGetConvInfo after reading: %s", info_call.json.c_str());
    }
    Pending after;
    after.what = "TIMConvGetTotalUnreadMessageCount (after reading)";
    if (CallJson(after, TIMConvGetTotalUnreadMessageCount(OnComm, &after), total) &&
        total[kTIMConvGetTotalUnreadMessageCountResultUnreadCount].asUInt64() != 0) {
        FAILF("recv: total unread after reading: %s", after.json.c_str());
    }
    if (!g_failed) logf("recv read ok (%llu unread, then 0)", static_cast<unsigned long long>(unread));
}

// The newest messages again through TIMMsgGetMsgList: the custom one, then the texts newest
// first, in pages of 5 that follow each other by their anchors.
void CheckHistory(const std::string& peer, int count) {
    std::vector<std::string> seen;  // "custom" or the text, newest first
    Json::Value anchor;
    for (int round = 0; round < 100 && static_cast<int>(seen.size()) < count + 1; ++round) {
        Json::Value param;
        param[kTIMMsgGetMsgListParamCount] = 5;
        param[kTIMMsgGetMsgListParamIsRamble] = true;
        param[kTIMMsgGetMsgListParamIsForward] = false;
        if (!anchor.isNull()) param[kTIMMsgGetMsgListParamLastMsg] = anchor;
        std::string json = ToJson(param);
        Pending page_call;
        page_call.what = "TIMMsgGetMsgList";
        Json::Value page;
        if (!CallJson(page_call, TIMMsgGetMsgList(peer.c_str(), kTIMConv_C2C, json.c_str(), OnComm, &page_call), page)) {
            return;
        }
        if (!page.isArray() || page.size() == 0) break;
        for (Json::ArrayIndex i = 0; i < page.size(); i++) {
            const Json::Value& elem = page[i][kTIMMsgElemArray][0];
            seen.push_back(elem[kTIMElemType].asUInt() == static_cast<uint32_t>(TIMElemType::kTIMElem_Custom)
                               ? std::string("custom")
                               : elem[kTIMTextElemContent].asString());
        }
        anchor = page[page.size() - 1];
    }
    if (static_cast<int>(seen.size()) < count + 1 || seen[0] != "custom") {
        FAILF("recv: TIMMsgGetMsgList gave %zu messages, the first \"%s\"", seen.size(),
              seen.empty() ? "" : seen[0].c_str());
        return;
    }
    for (int i = 0; i < count; ++i) {
        std::string want = "msg " + std::to_string(count - 1 - i);
        if (seen[1 + i] != want) {
            FAILF("recv: history message %d is \"%s\", expected \"%s\"", 1 + i, seen[1 + i].c_str(), want.c_str());
            return;
        }
    }
    logf("recv history ok (%d messages newest first, in pages of 5)", count + 1);
}

int RunRecv(const std::string& user, const std::string& sig, const std::string& server,
            const std::string& data_dir, int count, const std::string& peer_arg) {
    // Whether this device has a cache for the user already (then the conversation is known).
    const char* appid = std::getenv("OPENTIM_SDKAPPID");
    std::string cache = data_dir + "/" + (appid ? appid : "1400000000") + "/" + user + "/opentim.db";
    bool fresh = access(cache.c_str(), F_OK) != 0;
    if (!InitSdk(server, data_dir)) return 1;
    TIMAddRecvNewMsgCallback(OnRecvNewMsg, &g_recv);
    TIMSetConvEventCallback(OnConvEvent, &g_conv);
    TIMSetConvTotalUnreadMessageCountChangedCallback(OnTotalUnread, &g_unread);
    TIMSetNetworkStatusListenerCallback(OnNetworkStatus, &g_recv);

    Pending login;
    if (!Login(user, sig, login, OnComm)) return 1;

    // Wait for COUNT texts plus the custom message, or an error, or the deadline.
    bool complete;
    {
        std::unique_lock<std::mutex> lock(g_recv.mutex);
        complete = g_recv.cv.wait_for(lock, std::chrono::seconds(kWaitSeconds), [count] {
            return !g_recv.errors.empty() || (g_recv.texts >= count && g_recv.customs >= 1);
        });
    }
    // Grace period: duplicates or strays that arrive late must still be seen.
    sleep(1);

    std::lock_guard<std::mutex> lock(g_recv.mutex);
    if (!complete) {
        FAILF("recv: timeout after %d s with %d of %d text messages and %d of 1 custom message", kWaitSeconds,
              g_recv.texts, count, g_recv.customs);
    }
    for (const std::string& e : g_recv.errors) FAILF("recv: %s", e.c_str());

    std::string peer = peer_arg;
    if (peer.empty() && !g_recv.messages.empty()) peer = g_recv.messages[0].sender;
    int next_text = 0;
    bool have_seq = false;
    uint64_t last_seq = 0;
    int customs = 0;
    for (size_t k = 0; k < g_recv.messages.size(); ++k) {
        const Received& r = g_recv.messages[k];
        if (r.sender != peer) FAILF("recv: message %zu from \"%s\", expected \"%s\"", k, r.sender.c_str(), peer.c_str());
        if (r.conv_id != peer) FAILF("recv: message %zu has conv id \"%s\", expected the sender \"%s\"", k, r.conv_id.c_str(), peer.c_str());
        if (r.conv_type != static_cast<uint32_t>(kTIMConv_C2C)) FAILF("recv: message %zu has conv type %u", k, r.conv_type);
        if (r.is_from_self) FAILF("recv: message %zu has message_is_from_self true", k);
        if (have_seq && r.seq <= last_seq) {
            FAILF("recv: message %zu seq %llu not greater than previous %llu", k,
                  static_cast<unsigned long long>(r.seq), static_cast<unsigned long long>(last_seq));
        }
        have_seq = true;
        last_seq = r.seq;
        if (r.elem_type == TIMElemType::kTIMElem_Text) {
            std::string want = "msg " + std::to_string(next_text);
            if (customs != 0) FAILF("recv: text \"%s\" arrived after the custom message", r.text.c_str());
            if (r.text != want) {
                FAILF("recv: text %d is \"%s\", expected \"%s\" (order or duplicate problem)", next_text,
                      r.text.c_str(), want.c_str());
            }
            ++next_text;
        } else if (r.elem_type == TIMElemType::kTIMElem_Custom) {
            ++customs;
            if (r.custom_data != kCustomData || r.custom_desc != kCustomDesc || r.custom_ext != kCustomExt) {
                FAILF("recv: custom element data=\"%s\" desc=\"%s\" ext=\"%s\" differs from what was sent",
                      r.custom_data.c_str(), r.custom_desc.c_str(), r.custom_ext.c_str());
            }
        }
    }
    if (next_text != count) FAILF("recv: got %d text messages, expected exactly %d", next_text, count);
    if (customs != 1) FAILF("recv: got %d custom messages, expected exactly 1", customs);
    CheckConvEvents(peer, fresh);
    if (g_failed) return 1;
    CheckReading(peer, count + 1);
    if (g_failed) return 1;
    CheckHistory(peer, count);
    if (g_failed) return 1;

    logf("recv custom ok (%d custom message)", customs);
    logf("recv ok %d", count);
    TIMRemoveRecvNewMsgCallback(OnRecvNewMsg);
    TIMSetConvEventCallback(nullptr, nullptr);
    TIMSetConvTotalUnreadMessageCountChangedCallback(nullptr, nullptr);
    TIMSetNetworkStatusListenerCallback(nullptr, nullptr);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// send

struct SendCtx {
    std::string user;
    std::string peer;
    Pending* custom = nullptr;     // completion of the custom message sent from a callback
    std::string custom_json;       // its Message JSON
    int nested_rc = 999;           // return value of the nested TIMMsgSendNewMsg
    Pending* config = nullptr;     // completion of the TIMSetConfig issued from the login callback
    int config_rc = 999;
    std::mutex mutex;
};

SendCtx g_send;

// Read receipts (TIMSetMsgReadedReceiptCallback): the conversation ids they name.
struct ReceiptState {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> conv_ids;
    std::vector<std::string> errors;
};

ReceiptState g_receipts;

void OnReceipts(const char* json_msg_readed_receipt_array, const void* user_data) {
    NoteCallbackThread("TIMMsgReadedReceiptCallback");
    ReceiptState* state = static_cast<ReceiptState*>(const_cast<void*>(user_data));
    std::lock_guard<std::mutex> lock(state->mutex);
    Json::Value receipts;
    std::string error;
    static const char* const kReceipt[] = {kTIMMsgReceiptConvId, kTIMMsgReceiptConvType, kTIMMsgReceiptTimeStamp};
    if (!ParseJson(json_msg_readed_receipt_array, receipts, error) || !receipts.isArray()) {
        state->errors.push_back(std::string("receipt array does not parse: ") + json_msg_readed_receipt_array);
    }
    for (Json::ArrayIndex i = 0; receipts.isArray() && i < receipts.size(); i++) {
        if (!SameKeys(receipts[i], kReceipt, 3) || receipts[i][kTIMMsgReceiptTimeStamp].asUInt64() == 0) {
            state->errors.push_back("MessageReceipt: " + ToJson(receipts[i]));
        }
        state->conv_ids.push_back(receipts[i][kTIMMsgReceiptConvId].asString());
    }
    state->cv.notify_all();
}

// With CHAT_EXPECT_RECEIPT=1 (the receiver is online and reads what it got): wait for its read
// receipt.
void CheckReceipt(const std::string& peer) {
    const char* expect = std::getenv("CHAT_EXPECT_RECEIPT");
    if (expect == nullptr || std::strcmp(expect, "1") != 0) return;
    std::unique_lock<std::mutex> lock(g_receipts.mutex);
    bool got = g_receipts.cv.wait_for(lock, std::chrono::seconds(kWaitSeconds), [&peer] {
        for (const std::string& id : g_receipts.conv_ids) {
            if (id == peer) return true;
        }
        return false;
    });
    for (const std::string& e : g_receipts.errors) FAILF("send: %s", e.c_str());
    if (!got) FAILF("send: no read receipt from %s within %d s", peer.c_str(), kWaitSeconds);
    if (!g_failed) logf("send receipt ok (%s read the messages)", peer.c_str());
}

// What TIMMsgRevokeCallback and TIMMsgUpdateCallback delivered (JSON arrays, in order).
struct RecallState {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<Json::Value> locators;
    std::vector<Json::Value> updates;
};

RecallState g_recall;

void OnRevoke(const char* json_msg_locator_array, const void* user_data) {
    NoteCallbackThread("TIMMsgRevokeCallback");
    RecallState* state = static_cast<RecallState*>(const_cast<void*>(user_data));
    Json::Value array;
    std::string error;
    std::lock_guard<std::mutex> lock(state->mutex);
    if (ParseJson(json_msg_locator_array, array, error) && array.isArray()) {
        for (Json::ArrayIndex i = 0; i < array.size(); i++) state->locators.push_back(array[i]);
    }
    state->cv.notify_all();
}

void OnMsgUpdate(const char* json_msg_array, const void* user_data) {
    NoteCallbackThread("TIMMsgUpdateCallback");
    RecallState* state = static_cast<RecallState*>(const_cast<void*>(user_data));
    Json::Value array;
    std::string error;
    std::lock_guard<std::mutex> lock(state->mutex);
    if (ParseJson(json_msg_array, array, error) && array.isArray()) {
        for (Json::ArrayIndex i = 0; i < array.size(); i++) state->updates.push_back(array[i]);
    }
    state->cv.notify_all();
}

// Send a message with TIMMsgSendMessage (its id is in the buffer before the call returns),
// find it by that id, recall it, and check the recall reaches TIMMsgRevokeCallback (with the
// seed's MsgLocator keys) and TIMMsgUpdateCallback, with the recalled message. To oneself, so
// the receiver of the main run sees nothing more.
void CheckRecall(const std::string& peer) {
    TIMSetMsgRevokeCallback(OnRevoke, &g_recall);
    TIMSetMsgUpdateCallback(OnMsgUpdate, &g_recall);
    Json::Value msg;
    Json::Value elem;
    elem[kTIMElemType] = static_cast<int>(TIMElemType::kTIMElem_Text);
    elem[kTIMTextElemContent] = "to be recalled";
    msg[kTIMMsgElemArray].append(elem);
    std::string json = ToJson(msg);
    char id[128];
    std::memset(id, 0, sizeof id);
    Pending sent;
    sent.what = "TIMMsgSendMessage(text)";
    int rc = TIMMsgSendMessage(peer.c_str(), kTIMConv_C2C, json.c_str(), id, OnComm, &sent);
    if (rc != TIM_SUCC || id[0] == '\0') {
        FAILF("TIMMsgSendMessage returned %d with id \"%s\"", rc, id);
        return;
    }
    if (!WaitOk(sent)) return;
    Json::Value message;
    std::string error;
    ParseJson(sent.json.c_str(), message, error);
    if (message[kTIMMsgMsgId].asString() != id) {
        FAILF("TIMMsgSendMessage: buffer id %s, message_msg_id %s", id, message[kTIMMsgMsgId].asString().c_str());
        return;
    }
    Json::Value ids;
    ids.append(id);
    std::string ids_json = ToJson(ids);
    Pending found;
    found.what = "TIMMsgFindMessages";
    Json::Value list;
    if (!CallJson(found, TIMMsgFindMessages(ids_json.c_str(), OnComm, &found), list)) return;
    if (!list.isArray() || list.size() != 1 || list[0][kTIMMsgSeq].asUInt64() != message[kTIMMsgSeq].asUInt64()) {
        FAILF("TIMMsgFindMessages([%s]) answered %s", id, found.json.c_str());
        return;
    }
    Pending revoked;
    revoked.what = "TIMMsgRevoke";
    rc = TIMMsgRevoke(peer.c_str(), kTIMConv_C2C, sent.json.c_str(), OnComm, &revoked);
    if (rc != TIM_SUCC) {
        FAILF("TIMMsgRevoke returned %d", rc);
        return;
    }
    if (!WaitOk(revoked)) return;
    std::unique_lock<std::mutex> lock(g_recall.mutex);
    bool got = g_recall.cv.wait_for(lock, std::chrono::seconds(kWaitSeconds),
                                    [] { return !g_recall.locators.empty() && !g_recall.updates.empty(); });
    if (!got) {
        FAILF("TIMMsgRevoke: %zu revoke and %zu update callbacks within %d s", g_recall.locators.size(),
              g_recall.updates.size(), kWaitSeconds);
        return;
    }
    // The keys the seed's TIMMsgRevokeCallback example reads.
    static const char* const kLocator[] = {kTIMMsgLocatorConvId, kTIMMsgLocatorConvType, kTIMMsgLocatorIsRevoked,
                                           kTIMMsgLocatorTime,   kTIMMsgLocatorSeq,      kTIMMsgLocatorRand,
                                           kTIMMsgLocatorIsSelf};
    const Json::Value& l = g_recall.locators[0];
    for (const char* key : kLocator) {
        if (!l.isMember(key)) FAILF("TIMMsgRevokeCallback: the locator lacks %s: %s", key, ToJson(l).c_str());
    }
    if (l[kTIMMsgLocatorSeq].asUInt64() != message[kTIMMsgSeq].asUInt64() || !l[kTIMMsgLocatorIsRevoked].asBool() ||
        !l[kTIMMsgLocatorIsSelf].asBool() || l[kTIMMsgLocatorConvId].asString() != peer) {
        FAILF("TIMMsgRevokeCallback: locator %s for message %s", ToJson(l).c_str(), sent.json.c_str());
    }
    const Json::Value& u = g_recall.updates[0];
    if (u[kTIMMsgMsgId].asString() != id || u[kTIMMsgStatus].asUInt() != static_cast<unsigned>(kTIMMsg_Revoked)) {
        FAILF("TIMMsgUpdateCallback: %s", ToJson(u).c_str());
    }
    lock.unlock();
    TIMSetMsgRevokeCallback(nullptr, nullptr);
    TIMSetMsgUpdateCallback(nullptr, nullptr);
    if (!g_failed) logf("send recall ok (TIMMsgSendMessage id %s found, recalled, callbacks seen)", id);
}

struct TextPending {
    Pending pending;
    bool last = false;
};

// Login callback that also calls TIMSetConfig (pure query) from the SDK callback thread.
void OnLoginReentrant(int32_t code, const char* desc, const char* json_params, const void* user_data) {
    if (code == 0) {
        std::lock_guard<std::mutex> lock(g_send.mutex);
        g_send.config_rc = TIMSetConfig(nullptr, OnComm, g_send.config);
    }
    OnComm(code, desc, json_params, user_data);
}

// Completion of one text message; the last one sends the custom message re-entrantly.
void OnTextSent(int32_t code, const char* desc, const char* json_params, const void* user_data) {
    NoteCallbackThread("TIMCommCallback (text sent)");
    TextPending* tp = static_cast<TextPending*>(const_cast<void*>(user_data));
    if (tp->last && code == 0) {
        std::lock_guard<std::mutex> lock(g_send.mutex);
        g_send.nested_rc = TIMMsgSendNewMsg(g_send.peer.c_str(), kTIMConv_C2C, g_send.custom_json.c_str(), OnComm,
                                            g_send.custom);
    }
    tp->pending.Complete(code, desc, json_params, &tp->pending);
}

// Checks a sent-Message JSON; returns its seq through *seq.
bool CheckSentMessage(const char* what, const std::string& json, uint32_t want_elem_type, uint64_t* seq) {
    Json::Value msg;
    std::string error;
    if (!ParseJson(json.c_str(), msg, error)) {
        FAILF("%s: callback json does not parse: %s (%s)", what, error.c_str(), json.c_str());
        return false;
    }
    if (!msg.isObject()) {
        FAILF("%s: callback json is not an object: %s", what, json.c_str());
        return false;
    }
    bool ok = true;
    const char* required[] = {kTIMMsgSeq, kTIMMsgRand, kTIMMsgServerTime, kTIMMsgStatus, kTIMMsgSender,
                              kTIMMsgIsFormSelf, kTIMMsgElemArray, kTIMMsgConvId, kTIMMsgConvType};
    for (const char* key : required) {
        if (!msg.isMember(key)) {
            FAILF("%s: sent message lacks %s: %s", what, key, json.c_str());
            ok = false;
        }
    }
    if (!ok) return false;
    if (!msg[kTIMMsgSeq].isIntegral() || !msg[kTIMMsgRand].isIntegral() || !msg[kTIMMsgServerTime].isIntegral()) {
        FAILF("%s: message_seq / message_rand / message_server_time not integers: %s", what, json.c_str());
        return false;
    }
    if (msg[kTIMMsgStatus].asUInt() != static_cast<uint32_t>(kTIMMsg_SendSucc)) {
        FAILF("%s: message_status %u, expected kTIMMsg_SendSucc", what, msg[kTIMMsgStatus].asUInt());
        ok = false;
    }
    if (!msg[kTIMMsgIsFormSelf].asBool()) {
        FAILF("%s: message_is_from_self is not true", what);
        ok = false;
    }
    if (msg[kTIMMsgSender].asString() != g_send.user) {
        FAILF("%s: message_sender \"%s\", expected \"%s\"", what, msg[kTIMMsgSender].asString().c_str(),
              g_send.user.c_str());
        ok = false;
    }
    if (msg[kTIMMsgConvId].asString() != g_send.peer) {
        FAILF("%s: message_conv_id \"%s\", expected \"%s\"", what, msg[kTIMMsgConvId].asString().c_str(),
              g_send.peer.c_str());
        ok = false;
    }
    if (msg[kTIMMsgConvType].asUInt() != static_cast<uint32_t>(kTIMConv_C2C)) {
        FAILF("%s: message_conv_type %u, expected kTIMConv_C2C", what, msg[kTIMMsgConvType].asUInt());
        ok = false;
    }
    if (msg[kTIMMsgServerTime].asUInt64() == 0) {
        FAILF("%s: message_server_time is 0", what);
        ok = false;
    }
    const Json::Value& elems = msg[kTIMMsgElemArray];
    if (!elems.isArray() || elems.size() != 1 || elems[0][kTIMElemType].asUInt() != want_elem_type) {
        FAILF("%s: message_elem_array does not hold the one element sent: %s", what, json.c_str());
        ok = false;
    }
    *seq = msg[kTIMMsgSeq].asUInt64();
    return ok;
}

int RunSend(const std::string& user, const std::string& sig, const std::string& server, const std::string& data_dir,
            const std::string& peer, int count) {
    g_send.user = user;
    g_send.peer = peer;

    Json::Value custom_msg;
    Json::Value custom_elem;
    custom_elem[kTIMElemType] = static_cast<int>(TIMElemType::kTIMElem_Custom);
    custom_elem[kTIMCustomElemData] = kCustomData;
    custom_elem[kTIMCustomElemDesc] = kCustomDesc;
    custom_elem[kTIMCustomElemExt] = kCustomExt;
    custom_msg[kTIMMsgElemArray].append(custom_elem);
    g_send.custom_json = ToJson(custom_msg);

    Pending custom;
    custom.what = "custom message (sent from inside a TIMCommCallback)";
    g_send.custom = &custom;
    Pending config;
    config.what = "TIMSetConfig (called from inside the login callback)";
    g_send.config = &config;

    if (!InitSdk(server, data_dir)) return 1;
    TIMSetNetworkStatusListenerCallback(OnNetworkStatus, nullptr);
    TIMSetMsgReadedReceiptCallback(OnReceipts, &g_receipts);

    Pending login;
    if (!Login(user, sig, login, OnLoginReentrant)) return 1;
    {
        std::lock_guard<std::mutex> lock(g_send.mutex);
        if (g_send.config_rc != TIM_SUCC) FAILF("TIMSetConfig inside the login callback returned %d", g_send.config_rc);
    }
    if (!g_failed && WaitOk(config)) {
        Json::Value cfg;
        std::string error;
        // The key set of the seed's TIMCommCallback Example 1 (TIMSetConfig), nested objects too.
        static const char* const kTop[] = {"set_config_callback_log_level", "set_config_is_log_output_console",
                                           "set_config_log_level", "set_config_proxy_info", "set_config_user_config"};
        static const char* const kUser[] = {"user_config_group_getinfo_option", "user_config_group_member_getinfo_option",
                                            "user_config_is_ingore_grouptips_unread", "user_config_is_read_receipt",
                                            "user_config_is_sync_report"};
        static const char* const kOption[] = {"get_info_option_custom_array", "get_info_option_info_flag",
                                              "get_info_option_role_flag"};
        static const char* const kProxy[] = {"proxy_info_ip", "proxy_info_port"};
        if (!ParseJson(config.json.c_str(), cfg, error) || !SameKeys(cfg, kTop, 5) ||
            !SameKeys(cfg["set_config_user_config"], kUser, 5) || !SameKeys(cfg["set_config_proxy_info"], kProxy, 2) ||
            !SameKeys(cfg["set_config_user_config"]["user_config_group_getinfo_option"], kOption, 3) ||
            !SameKeys(cfg["set_config_user_config"]["user_config_group_member_getinfo_option"], kOption, 3)) {
            FAILF("TIMSetConfig (nested) answer has not the key set of the seed's example: %s", config.json.c_str());
        } else {
            logf("re-entrant TIMSetConfig from the login callback ok");
        }
    }
    if (g_failed) return 1;

    bool have_seq = false;
    uint64_t last_seq = 0;
    for (int i = 0; i < count; ++i) {
        Json::Value msg;
        Json::Value elem;
        elem[kTIMElemType] = static_cast<int>(TIMElemType::kTIMElem_Text);
        elem[kTIMTextElemContent] = "msg " + std::to_string(i);
        msg[kTIMMsgElemArray].append(elem);
        std::string json = ToJson(msg);

        TextPending tp;
        tp.pending.what = "TIMMsgSendNewMsg(text)";
        tp.last = (i == count - 1);
        int rc = TIMMsgSendNewMsg(peer.c_str(), kTIMConv_C2C, json.c_str(), OnTextSent, &tp);
        if (rc != TIM_SUCC) {
            FAILF("TIMMsgSendNewMsg(\"msg %d\") returned %d", i, rc);
            return 1;
        }
        if (!WaitOk(tp.pending)) {
            logf("while sending \"msg %d\"", i);
            return 1;
        }
        uint64_t seq = 0;
        std::string what = "send \"msg " + std::to_string(i) + "\"";
        if (!CheckSentMessage(what.c_str(), tp.pending.json, TIMElemType::kTIMElem_Text, &seq)) return 1;
        Json::Value sent;
        std::string error;
        ParseJson(tp.pending.json.c_str(), sent, error);
        std::string text = sent[kTIMMsgElemArray][0][kTIMTextElemContent].asString();
        if (text != "msg " + std::to_string(i)) FAILF("%s: callback message text is \"%s\"", what.c_str(), text.c_str());
        if (have_seq && seq <= last_seq) {
            FAILF("%s: message_seq %llu not greater than previous %llu", what.c_str(),
                  static_cast<unsigned long long>(seq), static_cast<unsigned long long>(last_seq));
        }
        have_seq = true;
        last_seq = seq;
        if (tp.pending.Fired() != 1) FAILF("%s: callback fired %d times", what.c_str(), tp.pending.Fired());
        if (g_failed) return 1;
        logf("sent \"msg %d\" seq %llu", i, static_cast<unsigned long long>(seq));
    }

    // The custom message was sent from inside the last text's callback.
    int nested_rc;
    {
        std::lock_guard<std::mutex> lock(g_send.mutex);
        nested_rc = g_send.nested_rc;
    }
    if (count > 0) {
        if (nested_rc != TIM_SUCC) {
            FAILF("TIMMsgSendNewMsg(custom) called inside a TIMCommCallback returned %d", nested_rc);
            return 1;
        }
    } else {
        // No text message: send the custom message directly.
        int rc = TIMMsgSendNewMsg(peer.c_str(), kTIMConv_C2C, g_send.custom_json.c_str(), OnComm, &custom);
        if (rc != TIM_SUCC) {
            FAILF("TIMMsgSendNewMsg(custom) returned %d", rc);
            return 1;
        }
    }
    if (!WaitOk(custom)) return 1;
    uint64_t seq = 0;
    if (!CheckSentMessage("send custom", custom.json, TIMElemType::kTIMElem_Custom, &seq)) return 1;
    {
        Json::Value sent;
        std::string error;
        ParseJson(custom.json.c_str(), sent, error);
        if (sent[kTIMMsgElemArray][0][kTIMCustomElemData].asString() != kCustomData) {
            FAILF("send custom: callback custom_elem_data differs: %s", custom.json.c_str());
        }
    }
    if (have_seq && seq <= last_seq) {
        FAILF("send custom: message_seq %llu not greater than previous %llu", static_cast<unsigned long long>(seq),
              static_cast<unsigned long long>(last_seq));
    }
    if (g_failed) return 1;
    logf("sent custom message seq %llu (re-entrant send from a callback ok)", static_cast<unsigned long long>(seq));

    CheckReceipt(peer);
    if (g_failed) return 1;
    CheckRecall(user);
    if (g_failed) return 1;
    logf("send ok %d", count);
    TIMSetNetworkStatusListenerCallback(nullptr, nullptr);
    TIMSetMsgReadedReceiptCallback(nullptr, nullptr);
    return 0;
}

int Usage() {
    std::fprintf(stderr,
                 "usage: chat recv USER SIG SERVER DATADIR COUNT [PEER]\n"
                 "       chat send USER SIG SERVER DATADIR PEER COUNT\n"
                 "env: OPENTIM_SDKAPPID (default 1400000000)\n");
    return 2;
}

bool ParseCount(const char* s, int* out) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < 0 || v > 100000) return false;
    *out = static_cast<int>(v);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    g_main_thread = std::this_thread::get_id();
    alarm(120);  // watchdog: a deadlocked SDK must not hang the test run (SIGALRM kills us)
    if (argc < 2) return Usage();
    std::string mode = argv[1];
    int count = 0;
    int rc;
    if (mode == "recv" && (argc == 7 || argc == 8)) {
        if (!ParseCount(argv[6], &count)) return Usage();
        rc = RunRecv(argv[2], argv[3], argv[4], argv[5], count, argc == 8 ? argv[7] : "");
    } else if (mode == "send" && argc == 8) {
        if (!ParseCount(argv[7], &count)) return Usage();
        rc = RunSend(argv[2], argv[3], argv[4], argv[5], argv[6], count);
    } else {
        return Usage();
    }
    if (rc == 0 && !g_failed) LogoutAndUninit();
    if (rc == 0 && !g_failed) CheckCallbackThreads();
    if (rc != 0 || g_failed) {
        logf("%s FAILED", mode.c_str());
        // Do not run SDK teardown on failure paths: it may be what hangs.
        std::fflush(stdout);
        _exit(1);
    }
    return 0;
}
