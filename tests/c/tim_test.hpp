// tim_test.hpp - helpers shared by the C++ test programs of tests/c (chat.cpp, group.cpp,
// friend.cpp): printing and failing, JSON with jsoncpp, the thread rule of the headers, waiting
// for one TIMCommCallback, checking a key set, one call and its answer, and TIMInit / TIMLogin /
// TIMLogout with the session checks. Each program includes it once; everything is in an
// unnamed namespace.

#ifndef OPENTIM_TESTS_TIM_TEST_HPP
#define OPENTIM_TESTS_TIM_TEST_HPP

#include <json/json.h>

#include "TIMCloud.h"

#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

const int kWaitSeconds = 30;

// ---------------------------------------------------------------------------------------------
// Small helpers

bool g_failed = false;
std::mutex g_print_mutex;

void logf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void logf(const char* fmt, ...) {
    std::lock_guard<std::mutex> lock(g_print_mutex);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stdout, fmt, ap);
    va_end(ap);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

#define FAILF(...)                                   \
    do {                                             \
        g_failed = true;                             \
        std::string msg_ = "FAIL: ";                 \
        char buf_[1024];                             \
        std::snprintf(buf_, sizeof buf_, __VA_ARGS__); \
        msg_ += buf_;                                \
        logf("%s", msg_.c_str());                    \
    } while (0)

bool ParseJson(const char* text, Json::Value& out, std::string& error) {
    if (text == nullptr) {
        error = "NULL json string";
        return false;
    }
    Json::Reader reader;
    if (!reader.parse(text, out)) {
        error = reader.getFormattedErrorMessages();
        return false;
    }
    return true;
}

// Whether `value` is an object with exactly the keys `keys[0..n)`.
bool SameKeys(const Json::Value& value, const char* const* keys, size_t n) {
    if (!value.isObject() || value.size() != n) return false;
    for (size_t i = 0; i < n; i++) {
        if (!value.isMember(keys[i])) return false;
    }
    return true;
}

std::string ToJson(const Json::Value& value) {
    Json::StreamWriterBuilder builder;
    builder["indentation"] = "";
    return Json::writeString(builder, value);
}

std::string ServerUrl(const std::string& arg) {
    if (arg.find("://") == std::string::npos) return "ws://" + arg;
    return arg;
}

uint64_t SdkAppId() {
    const char* env = std::getenv("OPENTIM_SDKAPPID");
    if (env == nullptr || *env == '\0') return 1400000000ull;
    return std::strtoull(env, nullptr, 10);
}

const char* NetStatusName(TIMNetworkStatus status) {
    switch (status) {
        case kTIMConnected:
            return "connected";
        case kTIMDisconnected:
            return "disconnected";
        case kTIMConnecting:
            return "connecting";
        case kTIMConnectFailed:
            return "connect failed";
    }
    return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Thread rule of the headers: every callback runs on one library thread, never the caller's.

std::mutex g_thread_mutex;
std::thread::id g_main_thread;
std::thread::id g_callback_thread;
bool g_have_callback_thread = false;
std::vector<std::string> g_thread_errors;
int g_callbacks = 0;

void NoteCallbackThread(const char* what) {
    std::thread::id self = std::this_thread::get_id();
    std::lock_guard<std::mutex> lock(g_thread_mutex);
    ++g_callbacks;
    if (self == g_main_thread) {
        g_thread_errors.push_back(std::string(what) + " ran on the calling (main) thread");
    }
    if (!g_have_callback_thread) {
        g_callback_thread = self;
        g_have_callback_thread = true;
    } else if (self != g_callback_thread && g_thread_errors.size() < 10) {
        g_thread_errors.push_back(std::string(what) + " ran on a different thread than earlier callbacks");
    }
}

void CheckCallbackThreads() {
    std::lock_guard<std::mutex> lock(g_thread_mutex);
    for (const std::string& e : g_thread_errors) FAILF("thread rule: %s", e.c_str());
    if (g_thread_errors.empty()) logf("all %d callbacks ran on one library thread, not the caller's", g_callbacks);
}

// ---------------------------------------------------------------------------------------------
// One pending TIMCommCallback: the caller waits on the condition variable until it fired.

struct Pending {
    const char* what = "";
    std::mutex mutex;
    std::condition_variable cv;
    int fired = 0;
    int32_t code = 0;
    std::string desc;
    std::string json;
    const void* user_data_seen = nullptr;

    // Waits until the callback fired (returns false on timeout).
    bool Wait(int seconds) {
        std::unique_lock<std::mutex> lock(mutex);
        return cv.wait_for(lock, std::chrono::seconds(seconds), [this] { return fired > 0; });
    }

    void Complete(int32_t c, const char* d, const char* j, const void* ud) {
        std::lock_guard<std::mutex> lock(mutex);
        ++fired;
        code = c;
        desc = d != nullptr ? d : "(null)";
        json = j != nullptr ? j : "(null)";
        user_data_seen = ud;
        cv.notify_all();
    }

    int Fired() {
        std::lock_guard<std::mutex> lock(mutex);
        return fired;
    }
};

// TIMCommCallback whose user_data is the Pending to complete.
void OnComm(int32_t code, const char* desc, const char* json_params, const void* user_data) {
    NoteCallbackThread("TIMCommCallback");
    Pending* pending = static_cast<Pending*>(const_cast<void*>(user_data));
    pending->Complete(code, desc, json_params, user_data);
}

// Waits for a callback and checks it fired exactly once, with code 0 and its own user_data.
bool WaitOk(Pending& pending) {
    if (!pending.Wait(kWaitSeconds)) {
        FAILF("%s: no TIMCommCallback within %d s", pending.what, kWaitSeconds);
        return false;
    }
    std::lock_guard<std::mutex> lock(pending.mutex);
    if (pending.user_data_seen != &pending) {
        FAILF("%s: callback got user_data %p, expected %p", pending.what, pending.user_data_seen,
              static_cast<void*>(&pending));
        return false;
    }
    if (pending.code != 0) {
        FAILF("%s: callback code %d desc \"%s\" json %s", pending.what, pending.code,
              pending.desc.c_str(), pending.json.c_str());
        return false;
    }
    return true;
}

void OnNetworkStatus(TIMNetworkStatus status, int32_t code, const char* desc, const void* user_data) {
    NoteCallbackThread("TIMNetworkStatusListenerCallback");
    logf("net: %s (code %d, desc \"%s\", user_data %p)", NetStatusName(status), code,
         desc != nullptr ? desc : "(null)", user_data);
}

bool InitSdk(const std::string& server, const std::string& data_dir) {
    Json::Value config;
    config[kTIMSdkConfigConfigFilePath] = data_dir;
    config["opentim_server_address"] = ServerUrl(server);  // opentim extension key, no macro
    std::string json = ToJson(config);
    int rc = TIMInit(SdkAppId(), json.c_str());
    if (rc != TIM_SUCC) {
        FAILF("TIMInit(%s) returned %d", json.c_str(), rc);
        return false;
    }
    logf("sdk version %s", TIMGetSDKVersion());
    return true;
}

// The synchronous session functions and callExperimentalAPI, after login (logged_in) or
// before it.
void CheckSession(const std::string& user, bool logged_in) {
    char id[128];
    memset(id, 'x', sizeof id);
    int status = TIMGetLoginStatus();
    int rc = TIMGetLoginUserID(id);
    if (!logged_in) {
        if (status != kTIMLoginStatus_UnLogined) FAILF("TIMGetLoginStatus before login: %d", status);
        if (rc != TIM_ERR_NOTLOGIN) FAILF("TIMGetLoginUserID before login returned %d", rc);
        return;
    }
    if (status != kTIMLoginStatus_Logined) FAILF("TIMGetLoginStatus after login: %d", status);
    if (rc != TIM_SUCC || user != id) FAILF("TIMGetLoginUserID returned %d, \"%.127s\"", rc, id);
    long long skew = static_cast<long long>(TIMGetServerTime()) - static_cast<long long>(time(nullptr));
    if (skew < -60 || skew > 60) FAILF("TIMGetServerTime is %lld s off the local clock", skew);

    Json::Value req;
    req[kTIMRequestInternalOperation] = "internal_operation_set_ui_platform";
    req[kTIMRequestSetUIPlatformParam] = 27;
    Pending ui;
    ui.what = "callExperimentalAPI(set_ui_platform)";
    std::string json = ToJson(req);
    rc = callExperimentalAPI(json.c_str(), OnComm, &ui);
    if (rc != TIM_SUCC) FAILF("callExperimentalAPI returned %d", rc);
    Json::Value answer;
    std::string error;
    if (WaitOk(ui) && (!ParseJson(ui.json.c_str(), answer, error) ||
                       answer[kTIMResponseInternalOperation].asString() != "internal_operation_set_ui_platform")) {
        FAILF("callExperimentalAPI answered %s", ui.json.c_str());
    }
    req.clear();
    req[kTIMRequestInternalOperation] = "internal_operation_userid_tinyid";
    Pending tiny;
    tiny.what = "callExperimentalAPI(userid_tinyid)";
    json = ToJson(req);
    if (callExperimentalAPI(json.c_str(), OnComm, &tiny) != TIM_SUCC || !tiny.Wait(kWaitSeconds) ||
        tiny.code != ERR_INVALID_PARAMETERS) {
        FAILF("callExperimentalAPI(userid_tinyid): code %d \"%s\", expected 6017", tiny.code, tiny.desc.c_str());
    }
    logf("session ok: status %d, user id %s, server time skew %lld s, experimental API answered", status, id, skew);
}

bool Login(const std::string& user, const std::string& sig, Pending& pending, TIMCommCallback cb) {
    CheckSession(user, false);
    pending.what = "TIMLogin";
    int rc = TIMLogin(user.c_str(), sig.c_str(), cb, &pending);
    if (rc != TIM_SUCC) {
        FAILF("TIMLogin returned %d", rc);
        return false;
    }
    if (!WaitOk(pending)) return false;
    if (pending.json != "") FAILF("TIMLogin callback json is \"%s\", expected \"\"", pending.json.c_str());
    CheckSession(user, true);
    logf("login ok as %s", user.c_str());
    return !g_failed;
}

// ---------------------------------------------------------------------------------------------
// Key sets and calls

#define KEYS(array) array, sizeof(array) / sizeof(array[0])

// Checks `value` has exactly the keys of the seed's example `what`.
// (Unused helpers are fine: not every program checks key sets.)
__attribute__((unused)) bool CheckKeys(const char* what, const Json::Value& value, const char* const* keys,
                                       size_t n) {
    if (SameKeys(value, keys, n)) return true;
    std::string got;
    if (value.isObject()) {
        for (const std::string& k : value.getMemberNames()) got += k + " ";
    }
    FAILF("%s: key set differs from the seed's example: got { %s}", what, got.c_str());
    return false;
}

// Runs one call that answers through TIMCommCallback; parses its JSON when `out` is given.
__attribute__((unused)) bool Call(const char* what, const std::function<int(TIMCommCallback, const void*)>& call,
                                  Json::Value* out, int32_t want_code = 0) {
    Pending p;
    p.what = what;
    int rc = call(OnComm, &p);
    if (rc != TIM_SUCC) {
        FAILF("%s returned %d", what, rc);
        return false;
    }
    if (want_code != 0) {
        if (!p.Wait(kWaitSeconds)) {
            FAILF("%s: no callback within %d s", what, kWaitSeconds);
            return false;
        }
        if (p.code != want_code) {
            FAILF("%s: code %d (\"%s\"), expected %d", what, p.code, p.desc.c_str(), want_code);
            return false;
        }
        logf("%s refused as expected: %d %s", what, p.code, p.desc.c_str());
        return true;
    }
    if (!WaitOk(p)) return false;
    if (out != nullptr) {
        std::string error;
        if (!ParseJson(p.json.c_str(), *out, error)) {
            FAILF("%s: json_params is not JSON: %s", what, error.c_str());
            return false;
        }
    }
    return true;
}

void LogoutAndUninit() {
    Pending logout;
    logout.what = "TIMLogout";
    int rc = TIMLogout(OnComm, &logout);
    if (rc != TIM_SUCC) {
        FAILF("TIMLogout returned %d", rc);
    } else if (WaitOk(logout)) {
        logf("logout ok");
    }
    rc = TIMUninit();
    if (rc != TIM_SUCC) FAILF("TIMUninit returned %d", rc);
}

// The end of a program that passed its checks: the thread rule, then "<done>", logout and
// uninit. The exit status.
__attribute__((unused)) int Finish(const char* done) {
    CheckCallbackThreads();
    if (g_failed) return 1;
    logf("%s", done);
    LogoutAndUninit();
    return g_failed ? 1 : 0;
}

}  // namespace

#endif  // OPENTIM_TESTS_TIM_TEST_HPP
