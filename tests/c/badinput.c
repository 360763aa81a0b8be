/*
 * badinput.c - argument validation of libImSDK (opentim), in plain C99.
 *
 *   gcc -std=c99 -Wall -Wextra -Werror -I crates/capi/include tests/c/badinput.c \
 *       -L $TARGET -lImSDK -Wl,-rpath,$TARGET -pthread -o badinput
 *   badinput SERVER DATADIR USER SIG [PEER]
 *
 * SERVER is "ws://host:port" (or "host:port"); OPENTIM_SDKAPPID (default 1400000000) must
 * match the server. PEER (default USER) is the C2C peer used by the send cases; it should be an
 * account that exists on the server.
 *
 * Checks the synchronous return codes (TIMResult) for bad input, that a callback never fires
 * for a call that was not accepted, that accepted calls report asynchronous failures (7004
 * a media file that is not there, 80002 body too large) through their callback with their own
 * user_data,
 * and that NULL callbacks are accepted. Prints "badinput ok" and exits 0 when every case
 * matches; every mismatch prints "FAIL <case>: ..." and the exit status is 1.
 */
#define _POSIX_C_SOURCE 200809L

#include "TIMCloud.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAIT_SECONDS 30

static int g_failures = 0;
static int g_cases = 0;

/* ---- callbacks that must never fire (the call was rejected synchronously) ---------------- */

/* user_data of these calls is a unique label string. A call that was (wrongly) accepted is
   already counted as a failure by expect_rc, so its label is recorded and its callback is then
   not counted a second time as a stray. */
#define MAX_LABELS 64
static pthread_mutex_t g_stray_mutex = PTHREAD_MUTEX_INITIALIZER;
static const char* g_stray_labels[MAX_LABELS];
static int g_stray_calls = 0;
static const char* g_accepted_labels[MAX_LABELS];
static int g_accepted = 0;

static void must_not_fire(int32_t code, const char* desc, const char* json_params, const void* user_data) {
    (void)code;
    (void)desc;
    (void)json_params;
    pthread_mutex_lock(&g_stray_mutex);
    if (g_stray_calls < MAX_LABELS) g_stray_labels[g_stray_calls] = user_data ? (const char*)user_data : "(null)";
    g_stray_calls++;
    pthread_mutex_unlock(&g_stray_mutex);
}

static void note_accepted(const char* label) {
    pthread_mutex_lock(&g_stray_mutex);
    if (g_accepted < MAX_LABELS) g_accepted_labels[g_accepted++] = label;
    pthread_mutex_unlock(&g_stray_mutex);
}

/* ---- callbacks that are waited for ------------------------------------------------------ */

struct waiter {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int fired;
    int32_t code;
    const void* user_data;
    char* desc;
    char* json;
};

static void waiter_init(struct waiter* w) {
    pthread_mutex_init(&w->mutex, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->fired = 0;
    w->code = 0;
    w->user_data = NULL;
    w->desc = NULL;
    w->json = NULL;
}

static void waiter_destroy(struct waiter* w) {
    free(w->desc);
    free(w->json);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mutex);
}

static char* copy_str(const char* s) {
    size_t n;
    char* out;
    if (s == NULL) s = "(null)";
    n = strlen(s);
    out = (char*)malloc(n + 1);
    if (out != NULL) memcpy(out, s, n + 1);
    return out;
}

static void on_comm(int32_t code, const char* desc, const char* json_params, const void* user_data) {
    struct waiter* w = (struct waiter*)(uintptr_t)user_data;
    pthread_mutex_lock(&w->mutex);
    w->fired++;
    w->code = code;
    w->user_data = user_data;
    free(w->desc);
    free(w->json);
    w->desc = copy_str(desc);
    w->json = copy_str(json_params);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mutex);
}

/* Returns 1 when the callback fired within WAIT_SECONDS. */
static int waiter_wait(struct waiter* w) {
    struct timespec deadline;
    int rc = 0;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&w->mutex);
    while (w->fired == 0 && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&w->cond, &w->mutex, &deadline);
    rc = w->fired > 0;
    pthread_mutex_unlock(&w->mutex);
    return rc;
}

/* ---- checking helpers -------------------------------------------------------------------- */

static void fail(const char* name, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(const char* name, const char* fmt, ...) {
    va_list ap;
    g_failures++;
    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static void expect_rc(const char* name, int got, int want) {
    g_cases++;
    if (got != want) {
        fail(name, "returned %d, expected %d", got, want);
    } else {
        printf("ok   %s -> %d\n", name, got);
    }
}

/* A call with callback must_not_fire and user_data `label` must return `want` (not TIM_SUCC). */
static void expect_rejected(const char* name, int got, int want, const char* label) {
    if (got == TIM_SUCC) note_accepted(label);
    expect_rc(name, got, want);
}

/* An accepted call whose callback must report `want_code` (and give back its user_data). */
static void expect_async(const char* name, int rc, struct waiter* w, int32_t want_code) {
    g_cases++;
    if (rc != TIM_SUCC) {
        fail(name, "returned %d, expected TIM_SUCC (0)", rc);
        return;
    }
    if (!waiter_wait(w)) {
        fail(name, "callback did not fire within %d s", WAIT_SECONDS);
        return;
    }
    pthread_mutex_lock(&w->mutex);
    if (w->code != want_code) {
        fail(name, "callback code %d (desc \"%s\", json %.200s), expected %d", (int)w->code, w->desc, w->json,
             (int)want_code);
    } else if (w->user_data != (const void*)w) {
        fail(name, "callback user_data %p, expected %p", w->user_data, (const void*)w);
    } else {
        printf("ok   %s -> callback %d (%s)\n", name, (int)w->code, w->desc);
    }
    pthread_mutex_unlock(&w->mutex);
}

static uint64_t sdk_app_id(void) {
    const char* env = getenv("OPENTIM_SDKAPPID");
    if (env == NULL || *env == '\0') return 1400000000ull;
    return strtoull(env, NULL, 10);
}

/* Appends s to the JSON buffer as a JSON string literal (ASCII input expected). */
static void json_append_string(char* buf, size_t size, const char* s) {
    size_t len = strlen(buf);
    if (len + 1 < size) buf[len++] = '"';
    for (; *s != '\0' && len + 3 < size; ++s) {
        if (*s == '"' || *s == '\\') buf[len++] = '\\';
        buf[len++] = *s;
    }
    if (len + 1 < size) buf[len++] = '"';
    buf[len] = '\0';
}

static void build_sdk_config(char* buf, size_t size, const char* server, const char* data_dir) {
    char url[512];
    if (strstr(server, "://") != NULL) {
        snprintf(url, sizeof url, "%s", server);
    } else {
        snprintf(url, sizeof url, "ws://%s", server);
    }
    snprintf(buf, size, "{\"%s\":", kTIMSdkConfigConfigFilePath);
    json_append_string(buf, size, data_dir);
    strncat(buf, ",\"opentim_server_address\":", size - strlen(buf) - 1);
    json_append_string(buf, size, url);
    strncat(buf, "}", size - strlen(buf) - 1);
}

static void on_net(enum TIMNetworkStatus status, int32_t code, const char* desc, const void* user_data) {
    (void)user_data;
    printf("net: status %d code %d desc \"%s\"\n", (int)status, (int)code, desc ? desc : "(null)");
    fflush(stdout);
}

static void on_new_msg(const char* json_msg_array, const void* user_data) {
    (void)json_msg_array;
    (void)user_data;
}

static void on_kicked(const void* user_data) { (void)user_data; }

static void on_sig_expired(const void* user_data) { (void)user_data; }

static void on_log(enum TIMLogLevel level, const char* log, const void* user_data) {
    (void)level;
    (void)log;
    (void)user_data;
}

/* Log lines received at or above the configured callback level, and lines below it. */
static int g_log_lines = 0;
static int g_log_below = 0;

static void count_log(enum TIMLogLevel level, const char* log, const void* user_data) {
    (void)user_data;
    if (log == NULL || log[0] == '\0' || (int)level < (int)kTIMLog_Info) {
        __atomic_add_fetch(&g_log_below, 1, __ATOMIC_SEQ_CST);
    } else {
        __atomic_add_fetch(&g_log_lines, 1, __ATOMIC_SEQ_CST);
    }
}

int main(int argc, char** argv) {
    const char* server;
    const char* data_dir;
    const char* user;
    const char* sig;
    const char* peer;
    const char* version;
    char config[4096];
    char text_msg[256];
    char image_msg[512];
    char* big_msg;
    size_t big_len = 13000;
    int rc;
    int logged_in = 0;
    struct waiter w;

    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(180); /* watchdog: a hung SDK call must not hang the test run */
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: badinput SERVER DATADIR USER SIG [PEER]\n");
        return 2;
    }
    server = argv[1];
    data_dir = argv[2];
    user = argv[3];
    sig = argv[4];
    peer = argc == 6 ? argv[5] : argv[3];
    build_sdk_config(config, sizeof config, server, data_dir);
    snprintf(text_msg, sizeof text_msg, "{\"%s\":[{\"%s\":%d,\"%s\":\"badinput\"}]}", kTIMMsgElemArray, kTIMElemType,
             (int)kTIMElem_Text, kTIMTextElemContent);

    /* ---- before TIMInit ------------------------------------------------------------------ */
    version = TIMGetSDKVersion();
    g_cases++;
    if (version == NULL) {
        fail("TIMGetSDKVersion before init", "returned NULL");
    } else {
        printf("ok   TIMGetSDKVersion before init -> \"%s\"\n", version);
    }
    /* void setters: accepted before init, with a callback and with NULL (must not crash) */
    TIMAddRecvNewMsgCallback(on_new_msg, "pre-init");
    TIMRemoveRecvNewMsgCallback(on_new_msg);
    TIMAddRecvNewMsgCallback(NULL, NULL);
    TIMRemoveRecvNewMsgCallback(NULL);
    TIMSetNetworkStatusListenerCallback(on_net, "pre-init");
    TIMSetNetworkStatusListenerCallback(NULL, NULL);
    TIMSetKickedOfflineCallback(on_kicked, "pre-init");
    TIMSetKickedOfflineCallback(NULL, NULL);
    TIMSetUserSigExpiredCallback(on_sig_expired, "pre-init");
    TIMSetUserSigExpiredCallback(NULL, NULL);
    TIMSetLogCallback(on_log, "pre-init");
    TIMSetLogCallback(NULL, NULL);

    expect_rc("TIMUninit before init", TIMUninit(), TIM_ERR_SDKUNINIT);
    /* TIMSetConfig works before TIMInit: proxies and user-define data are meant to be set then. */
    waiter_init(&w);
    rc = TIMSetConfig("{\"set_config_user_define_data\":\"pre-init\"}", on_comm, &w);
    expect_async("TIMSetConfig before init", rc, &w, 0);
    waiter_destroy(&w);
    expect_rejected("TIMSetConfig(\"{\") before init", TIMSetConfig("{", must_not_fire, "setconfig-bad-preinit"),
        TIM_ERR_JSON, "setconfig-bad-preinit");
    expect_rejected("TIMLogin before init", TIMLogin(user, sig, must_not_fire, "login-preinit"),
        TIM_ERR_SDKUNINIT, "login-preinit");
    expect_rejected("TIMLogout before init", TIMLogout(must_not_fire, "logout-preinit"),
        TIM_ERR_SDKUNINIT, "logout-preinit");
    expect_rejected("TIMMsgSendNewMsg before init",
        TIMMsgSendNewMsg(peer, kTIMConv_C2C, text_msg, must_not_fire, "send-preinit"),
        TIM_ERR_SDKUNINIT, "send-preinit");
    expect_rc("TIMConvCancelDraft before init", TIMConvCancelDraft(peer, kTIMConv_C2C), TIM_ERR_SDKUNINIT);
    expect_rc("TIMGetLoginStatus before init", TIMGetLoginStatus(), kTIMLoginStatus_UnLogined);
    expect_rc("TIMGetLoginUserID(NULL) before init", TIMGetLoginUserID(NULL), TIM_ERR_PARAM);
    {
        char id[128];
        expect_rc("TIMGetLoginUserID before init", TIMGetLoginUserID(id), TIM_ERR_SDKUNINIT);
    }
    g_cases++;
    if (TIMGetServerTime() < 1700000000u) {
        fail("TIMGetServerTime before init", "returned %llu", (unsigned long long)TIMGetServerTime());
    } else {
        printf("ok   TIMGetServerTime before init -> the local clock\n");
    }
    expect_rejected("callExperimentalAPI before init",
        callExperimentalAPI("{\"request_internal_operation\":\"internal_operation_set_ui_platform\"}", must_not_fire,
            "experimental-preinit"),
        TIM_ERR_SDKUNINIT, "experimental-preinit");

    /* ---- TIMInit with bad configuration -------------------------------------------------- */
    expect_rc("TIMInit(\"{\")", TIMInit(sdk_app_id(), "{"), TIM_ERR_JSON);
    expect_rc("TIMInit(\"{\\\"a\\\":}\")", TIMInit(sdk_app_id(), "{\"a\":}"), TIM_ERR_JSON);
    expect_rc("TIMInit(\"[1]\") (not an object)", TIMInit(sdk_app_id(), "[1]"), TIM_ERR_JSON);
    rc = TIMInit(sdk_app_id(), "{\"sdk_config_config_file_path\":\"\xff\xfe\"}");
    g_cases++;
    if (rc == TIM_ERR_PARAM) {
        printf("ok   TIMInit(invalid UTF-8) -> %d (TIM_ERR_PARAM)\n", rc);
    } else if (rc == TIM_ERR_JSON) {
        printf("ok   TIMInit(invalid UTF-8) -> %d (TIM_ERR_JSON)\n", rc);
    } else {
        fail("TIMInit(invalid UTF-8)", "returned %d, expected TIM_ERR_PARAM (-4) or TIM_ERR_JSON (-3)", rc);
        if (rc == TIM_SUCC) TIMUninit();
    }
    expect_rejected("TIMLogout after failed TIMInit", TIMLogout(must_not_fire, "logout-failed-init"),
        TIM_ERR_SDKUNINIT, "logout-failed-init");

    /* ---- TIMInit ok --------------------------------------------------------------------- */
    rc = TIMInit(sdk_app_id(), config);
    expect_rc("TIMInit(valid config)", rc, TIM_SUCC);
    if (rc != TIM_SUCC) {
        printf("config was %s\n", config);
        printf("badinput FAILED (%d of %d cases)\n", g_failures, g_cases);
        return 1;
    }
    TIMSetNetworkStatusListenerCallback(on_net, NULL);

    /* ---- login argument checks ----------------------------------------------------------- */
    expect_rejected("TIMLogin(NULL user)", TIMLogin(NULL, sig, must_not_fire, "login-null-user"),
        TIM_ERR_PARAM, "login-null-user");
    expect_rejected("TIMLogin(NULL sig)", TIMLogin(user, NULL, must_not_fire, "login-null-sig"),
        TIM_ERR_PARAM, "login-null-sig");
    expect_rejected("TIMLogin(\"\\xff\\xfe\" user)", TIMLogin("\xff\xfe", sig, must_not_fire, "login-bad-utf8"),
        TIM_ERR_PARAM, "login-bad-utf8");
    expect_rejected("TIMMsgSendNewMsg before login",
        TIMMsgSendNewMsg(peer, kTIMConv_C2C, text_msg, must_not_fire, "send-prelogin"),
        TIM_ERR_NOTLOGIN, "send-prelogin");
    expect_rc("TIMConvSetDraft before login", TIMConvSetDraft(peer, kTIMConv_C2C, "{}"), TIM_ERR_NOTLOGIN);
    expect_rejected("TIMConvGetConvList before login", TIMConvGetConvList(must_not_fire, "convlist-prelogin"),
        TIM_ERR_NOTLOGIN, "convlist-prelogin");
    expect_rejected("TIMMsgReportReaded before login",
        TIMMsgReportReaded(peer, kTIMConv_C2C, NULL, must_not_fire, "read-prelogin"), TIM_ERR_NOTLOGIN, "read-prelogin");
    expect_rejected("TIMConvGetTotalUnreadMessageCount before login",
        TIMConvGetTotalUnreadMessageCount(must_not_fire, "unread-prelogin"), TIM_ERR_NOTLOGIN, "unread-prelogin");
    expect_rejected("callExperimentalAPI(NULL)", callExperimentalAPI(NULL, must_not_fire, "experimental-null"),
        TIM_ERR_PARAM, "experimental-null");
    expect_rejected("callExperimentalAPI(\"{\")", callExperimentalAPI("{", must_not_fire, "experimental-bad"),
        TIM_ERR_JSON, "experimental-bad");
    expect_rejected("callExperimentalAPI({}) (no operation)",
        callExperimentalAPI("{}", must_not_fire, "experimental-empty"), TIM_ERR_JSON, "experimental-empty");
    expect_rejected("callExperimentalAPI(invalid UTF-8)",
        callExperimentalAPI("{\"request_internal_operation\":\"\xff\"}", must_not_fire, "experimental-utf8"),
        TIM_ERR_PARAM, "experimental-utf8");

    /* ---- TIMSetConfig ------------------------------------------------------------------- */
    expect_rejected("TIMSetConfig(\"{\")", TIMSetConfig("{", must_not_fire, "setconfig-bad"),
        TIM_ERR_JSON, "setconfig-bad");
    waiter_init(&w);
    rc = TIMSetConfig(NULL, on_comm, &w);
    expect_async("TIMSetConfig(NULL) query", rc, &w, 0);
    g_cases++;
    if (rc == TIM_SUCC && w.fired) {
        char key[128];
        snprintf(key, sizeof key, "\"%s\"", kTIMSetConfigLogLevel);
        if (w.json == NULL || strstr(w.json, key) == NULL) {
            fail("TIMSetConfig(NULL) json", "lacks %s: %.300s", key, w.json ? w.json : "(null)");
        } else {
            printf("ok   TIMSetConfig(NULL) json has %s\n", key);
        }
    } else {
        fail("TIMSetConfig(NULL) json", "no callback json to check");
    }
    waiter_destroy(&w);
    expect_rc("TIMSetConfig(NULL, NULL cb)", TIMSetConfig(NULL, NULL, NULL), TIM_SUCC);

    /* ---- real login --------------------------------------------------------------------- */
    TIMSetLogCallback(count_log, "log");
    expect_rc("TIMSetConfig(callback level Info)",
        TIMSetConfig("{\"set_config_callback_log_level\":4}", NULL, NULL), TIM_SUCC);
    waiter_init(&w);
    rc = TIMLogin(user, sig, on_comm, &w);
    expect_async("TIMLogin(valid)", rc, &w, 0);
    logged_in = rc == TIM_SUCC && w.fired && w.code == 0;
    g_cases++;
    if (logged_in) {
        int lines = 0;
        int i;
        for (i = 0; i < 50 && lines == 0; i++) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
            lines = __atomic_load_n(&g_log_lines, __ATOMIC_SEQ_CST);
        }
        if (lines == 0 || __atomic_load_n(&g_log_below, __ATOMIC_SEQ_CST) != 0) {
            fail("TIMLogCallback", "%d lines at Info or above, %d below or empty", lines, g_log_below);
        } else {
            printf("ok   TIMLogCallback got %d lines at Info or above during login\n", lines);
        }
    }
    g_cases++;
    if (logged_in && (w.json == NULL || strcmp(w.json, "") != 0)) {
        fail("TIMLogin json", "callback json is \"%s\", expected \"\"", w.json ? w.json : "(null)");
    } else if (logged_in) {
        printf("ok   TIMLogin json is \"\"\n");
    } else {
        fail("TIMLogin json", "login failed, the send cases below cannot pass");
    }
    waiter_destroy(&w);

    /* ---- TIMMsgSendNewMsg argument checks ------------------------------------------------ */
    expect_rejected("TIMMsgSendNewMsg(NULL conv_id)",
        TIMMsgSendNewMsg(NULL, kTIMConv_C2C, text_msg, must_not_fire, "send-null-conv"),
        TIM_ERR_PARAM, "send-null-conv");
    expect_rejected("TIMMsgSendNewMsg(\"\\xff\\xfe\" conv_id)",
        TIMMsgSendNewMsg("\xff\xfe", kTIMConv_C2C, text_msg, must_not_fire, "send-bad-utf8-conv"),
        TIM_ERR_PARAM, "send-bad-utf8-conv");
    expect_rejected("TIMMsgSendNewMsg(conv_type 0)",
        TIMMsgSendNewMsg(peer, (enum TIMConvType)0, text_msg, must_not_fire, "send-conv0"),
        TIM_ERR_CONV, "send-conv0");
    expect_rejected("TIMMsgSendNewMsg(conv_type 99)",
        TIMMsgSendNewMsg(peer, (enum TIMConvType)99, text_msg, must_not_fire, "send-conv99"),
        TIM_ERR_CONV, "send-conv99");
    expect_rejected("TIMMsgSendNewMsg(json \"{\")",
        TIMMsgSendNewMsg(peer, kTIMConv_C2C, "{", must_not_fire, "send-bad-json"),
        TIM_ERR_JSON, "send-bad-json");
    expect_rejected("TIMMsgSendNewMsg(NULL json)",
        TIMMsgSendNewMsg(peer, kTIMConv_C2C, NULL, must_not_fire, "send-null-json"),
        TIM_ERR_PARAM, "send-null-json");

    /* ---- reading and conversation argument checks ------------------------------------- */
    expect_rejected("TIMMsgReportReaded(\"\\xff\\xfe\" conv_id)",
        TIMMsgReportReaded("\xff\xfe", kTIMConv_C2C, NULL, must_not_fire, "read-bad-utf8"), TIM_ERR_PARAM,
        "read-bad-utf8");
    expect_rejected("TIMMsgReportReaded(conv_type 99)",
        TIMMsgReportReaded(peer, (enum TIMConvType)99, NULL, must_not_fire, "read-conv99"), TIM_ERR_CONV, "read-conv99");
    expect_rejected("TIMMsgReportReaded(json \"{\")",
        TIMMsgReportReaded(peer, kTIMConv_C2C, "{", must_not_fire, "read-bad-json"), TIM_ERR_JSON, "read-bad-json");
    expect_rejected("TIMMsgRevoke(NULL json)", TIMMsgRevoke(peer, kTIMConv_C2C, NULL, must_not_fire, "revoke-null"),
        TIM_ERR_PARAM, "revoke-null");
    expect_rejected("TIMMsgRevoke(a message without message_seq)",
        TIMMsgRevoke(peer, kTIMConv_C2C, text_msg, must_not_fire, "revoke-noseq"), TIM_ERR_PARAM, "revoke-noseq");
    expect_rejected("TIMMsgRevoke(json \"{\")", TIMMsgRevoke(peer, kTIMConv_C2C, "{", must_not_fire, "revoke-bad"),
        TIM_ERR_JSON, "revoke-bad");
    expect_rejected("TIMMsgGetMsgList(NULL conv_id)",
        TIMMsgGetMsgList(NULL, kTIMConv_C2C, NULL, must_not_fire, "getmsg-null-conv"), TIM_ERR_PARAM, "getmsg-null-conv");
    expect_rejected("TIMMsgGetMsgList(json \"{\")",
        TIMMsgGetMsgList(peer, kTIMConv_C2C, "{", must_not_fire, "getmsg-bad"), TIM_ERR_JSON, "getmsg-bad");
    {
        char param[512];
        snprintf(param, sizeof param, "{\"%s\":%s}", kTIMMsgGetMsgListParamLastMsg, text_msg);
        expect_rejected("TIMMsgGetMsgList(an anchor without message_seq)",
            TIMMsgGetMsgList(peer, kTIMConv_C2C, param, must_not_fire, "getmsg-noseq"), TIM_ERR_PARAM, "getmsg-noseq");
    }
    expect_rc("TIMConvSetDraft(NULL conv_id)", TIMConvSetDraft(NULL, kTIMConv_C2C, "{}"), TIM_ERR_PARAM);
    expect_rc("TIMConvSetDraft(json \"{\")", TIMConvSetDraft(peer, kTIMConv_C2C, "{"), TIM_ERR_JSON);
    expect_rc("TIMConvSetDraft(a conversation not in the list)",
        TIMConvSetDraft("nobody-talked-to-me", kTIMConv_C2C, "{}"), TIM_ERR_CONV);
    expect_rc("TIMConvCancelDraft(conv_type 99)", TIMConvCancelDraft(peer, (enum TIMConvType)99), TIM_ERR_CONV);
    expect_rejected("TIMConvDelete(NULL conv_id)", TIMConvDelete(NULL, kTIMConv_C2C, must_not_fire, "convdel-null"),
        TIM_ERR_PARAM, "convdel-null");
    expect_rejected("TIMConvCreate(\"\\xff\" conv_id)",
        TIMConvCreate("\xff", kTIMConv_C2C, must_not_fire, "convcreate-utf8"), TIM_ERR_PARAM, "convcreate-utf8");
    waiter_init(&w);
    rc = TIMConvDelete("nobody-talked-to-me", kTIMConv_C2C, on_comm, &w);
    expect_async("TIMConvDelete(a conversation not in the list)", rc, &w, 6004 /* ERR_INVALID_CONVERSATION */);
    waiter_destroy(&w);
    expect_rejected("TIMMsgFindByMsgLocatorList(NULL)",
        TIMMsgFindByMsgLocatorList(peer, kTIMConv_C2C, NULL, must_not_fire, "find-null"), TIM_ERR_PARAM, "find-null");
    expect_rejected("TIMMsgFindByMsgLocatorList(\"{}\") (not an array)",
        TIMMsgFindByMsgLocatorList(peer, kTIMConv_C2C, "{}", must_not_fire, "find-object"), TIM_ERR_JSON, "find-object");
    /* ---- messages by id, local messages, deletion ---------------------------------------- */
    {
        char id_buffer[128];
        expect_rejected("TIMMsgSendMessage(NULL conv_id)",
            TIMMsgSendMessage(NULL, kTIMConv_C2C, text_msg, id_buffer, must_not_fire, "sendmsg-null"), TIM_ERR_PARAM,
            "sendmsg-null");
        expect_rejected("TIMMsgSendMessage(json \"{\")",
            TIMMsgSendMessage(peer, kTIMConv_C2C, "{", id_buffer, must_not_fire, "sendmsg-bad"), TIM_ERR_JSON,
            "sendmsg-bad");
    }
    expect_rejected("TIMMsgSendNewMsgEx(conv_type 99)",
        TIMMsgSendNewMsgEx(peer, (enum TIMConvType)99, text_msg, must_not_fire, must_not_fire, "sendex-conv99"),
        TIM_ERR_CONV, "sendex-conv99");
    expect_rejected("TIMMsgCancelSend(NULL message_id)",
        TIMMsgCancelSend(peer, kTIMConv_C2C, NULL, must_not_fire, "cancel-null"), TIM_ERR_PARAM, "cancel-null");
    waiter_init(&w);
    rc = TIMMsgCancelSend(peer, kTIMConv_C2C, "no-such-message", on_comm, &w);
    expect_async("TIMMsgCancelSend(an unknown id)", rc, &w, 8020 /* ERR_SDK_INVALID_CANCEL_MESSAGE */);
    waiter_destroy(&w);
    expect_rejected("TIMMsgFindMessages(\"{}\") (not an array)",
        TIMMsgFindMessages("{}", must_not_fire, "findmsg-object"), TIM_ERR_JSON, "findmsg-object");
    expect_rejected("TIMMsgFindMessages(\"[1]\") (not strings)",
        TIMMsgFindMessages("[1]", must_not_fire, "findmsg-ints"), TIM_ERR_JSON, "findmsg-ints");
    expect_rejected("TIMMsgSetLocalCustomData(a message without message_msg_id)",
        TIMMsgSetLocalCustomData(text_msg, must_not_fire, "custom-noid"), TIM_ERR_PARAM, "custom-noid");
    expect_rejected("TIMMsgSaveMsg(NULL json)", TIMMsgSaveMsg(peer, kTIMConv_C2C, NULL, must_not_fire, "save-null"),
        TIM_ERR_PARAM, "save-null");
    expect_rejected("TIMMsgImportMsgList(\"[]\")",
        TIMMsgImportMsgList(peer, kTIMConv_C2C, "[]", must_not_fire, "import-empty"), TIM_ERR_PARAM, "import-empty");
    expect_rejected("TIMMsgBatchSend(\"{}\") (no recipients)", TIMMsgBatchSend("{}", must_not_fire, "batch-empty"),
        TIM_ERR_PARAM, "batch-empty");
    expect_rejected("TIMMsgDelete(json \"{\")", TIMMsgDelete(peer, kTIMConv_C2C, "{", must_not_fire, "delete-bad"),
        TIM_ERR_JSON, "delete-bad");
    expect_rejected("TIMMsgListDelete(\"[]\")",
        TIMMsgListDelete(peer, kTIMConv_C2C, "[]", must_not_fire, "listdel-empty"), TIM_ERR_PARAM, "listdel-empty");
    expect_rejected("TIMMsgClearHistoryMessage(\"\" conv_id)",
        TIMMsgClearHistoryMessage("", kTIMConv_C2C, must_not_fire, "clear-empty"), TIM_ERR_PARAM, "clear-empty");
    waiter_init(&w);
    rc = TIMMsgFindMessages("[\"no-such-message\"]", on_comm, &w);
    expect_async("TIMMsgFindMessages(an unknown id)", rc, &w, 0);
    g_cases++;
    if (rc == TIM_SUCC && w.fired && w.json != NULL && strcmp(w.json, "[]") == 0) {
        printf("ok   TIMMsgFindMessages(an unknown id) -> []\n");
    } else {
        fail("TIMMsgFindMessages json", "is %s", w.json ? w.json : "(null)");
    }
    waiter_destroy(&w);
    expect_rejected("TIMConvPinConversation(NULL conv_id)",
        TIMConvPinConversation(NULL, kTIMConv_C2C, (bool)1, must_not_fire, "pin-null"), TIM_ERR_PARAM, "pin-null");
    expect_rejected("TIMConvPinConversation(conv_type 99)",
        TIMConvPinConversation(peer, (enum TIMConvType)99, (bool)1, must_not_fire, "pin-conv99"), TIM_ERR_CONV,
        "pin-conv99");
    waiter_init(&w);
    rc = TIMConvPinConversation("nobody-talked-to-me", kTIMConv_C2C, (bool)1, on_comm, &w);
    expect_async("TIMConvPinConversation(a conversation not in the list)", rc, &w, 6004 /* ERR_INVALID_CONVERSATION */);
    waiter_destroy(&w);
    expect_rejected("TIMMsgSetC2CReceiveMessageOpt(NULL)",
        TIMMsgSetC2CReceiveMessageOpt(NULL, kTIMRecvMsgOpt_Receive, must_not_fire, "recvopt-null"), TIM_ERR_PARAM,
        "recvopt-null");
    expect_rejected("TIMMsgSetC2CReceiveMessageOpt(opt 7)",
        TIMMsgSetC2CReceiveMessageOpt("[\"someone\"]", (enum TIMReceiveMessageOpt)7, must_not_fire, "recvopt-7"),
        TIM_ERR_PARAM, "recvopt-7");
    expect_rejected("TIMMsgGetC2CReceiveMessageOpt(\"[]\")",
        TIMMsgGetC2CReceiveMessageOpt("[]", must_not_fire, "recvopt-empty"), TIM_ERR_PARAM, "recvopt-empty");
    expect_rejected("TIMMsgSearchLocalMessages(json \"{\")",
        TIMMsgSearchLocalMessages("{", must_not_fire, "search-bad"), TIM_ERR_JSON, "search-bad");
    waiter_init(&w);
    rc = TIMMsgSearchLocalMessages("{}", on_comm, &w);
    expect_async("TIMMsgSearchLocalMessages(nothing to look for)", rc, &w, 6017 /* ERR_INVALID_PARAMETERS */);
    waiter_destroy(&w);
    expect_rejected("TIMMsgDownloadMergerMessage(NULL)",
        TIMMsgDownloadMergerMessage(NULL, must_not_fire, "merger-null"), TIM_ERR_PARAM, "merger-null");
    expect_rejected("TIMMsgDownloadMergerMessage(a text message)",
        TIMMsgDownloadMergerMessage(text_msg, must_not_fire, "merger-text"), TIM_ERR_PARAM, "merger-text");
    expect_rejected("TIMGroupCreate(NULL)", TIMGroupCreate(NULL, must_not_fire, "gcreate-null"), TIM_ERR_PARAM,
        "gcreate-null");
    expect_rejected("TIMGroupCreate(json \"{\")", TIMGroupCreate("{", must_not_fire, "gcreate-bad"), TIM_ERR_JSON,
        "gcreate-bad");
    expect_rejected("TIMGroupDelete(\"\")", TIMGroupDelete("", must_not_fire, "gdelete-empty"), TIM_ERR_PARAM,
        "gdelete-empty");
    expect_rejected("TIMGroupQuit(\"\\xff\")", TIMGroupQuit("\xff", must_not_fire, "gquit-utf8"), TIM_ERR_PARAM,
        "gquit-utf8");
    expect_rejected("TIMGroupGetGroupInfoList(\"[]\")",
        TIMGroupGetGroupInfoList("[]", must_not_fire, "ginfo-empty"), TIM_ERR_PARAM, "ginfo-empty");
    expect_rejected("TIMGroupInviteMember(no group id)", TIMGroupInviteMember("{}", must_not_fire, "ginvite-noid"),
        TIM_ERR_PARAM, "ginvite-noid");
    expect_rejected("TIMGroupDeleteMember(NULL)", TIMGroupDeleteMember(NULL, must_not_fire, "gkick-null"),
        TIM_ERR_PARAM, "gkick-null");
    expect_rejected("TIMGroupGetMemberInfoList(json \"[\")",
        TIMGroupGetMemberInfoList("[", must_not_fire, "gmembers-bad"), TIM_ERR_JSON, "gmembers-bad");
    expect_rejected("TIMGroupJoin(NULL)", TIMGroupJoin(NULL, "hi", must_not_fire, "gjoin-null"), TIM_ERR_PARAM,
        "gjoin-null");
    expect_rejected("TIMGroupJoin(hello \"\\xff\")", TIMGroupJoin("g", "\xff", must_not_fire, "gjoin-utf8"),
        TIM_ERR_PARAM, "gjoin-utf8");
    expect_rejected("TIMGroupModifyGroupInfo(json \"{\")",
        TIMGroupModifyGroupInfo("{", must_not_fire, "gmodify-bad"), TIM_ERR_JSON, "gmodify-bad");
    expect_rejected("TIMGroupModifyMemberInfo(no group id)",
        TIMGroupModifyMemberInfo("{}", must_not_fire, "gmodmem-noid"), TIM_ERR_PARAM, "gmodmem-noid");
    expect_rejected("TIMGroupGetPendencyList(NULL)", TIMGroupGetPendencyList(NULL, must_not_fire, "gpend-null"),
        TIM_ERR_PARAM, "gpend-null");
    expect_rejected("TIMGroupHandlePendency(no pendency)",
        TIMGroupHandlePendency("{}", must_not_fire, "ghandle-none"), TIM_ERR_PARAM, "ghandle-none");
    TIMSetGroupTipsEventCallback(NULL, NULL);
    TIMSetGroupAttributeChangedCallback(NULL, NULL);
    TIMSetMsgGroupMessageReceiptCallback(NULL, NULL);
    TIMSetFriendBlackListAddedCallback(NULL, NULL);
    TIMSetFriendBlackListDeletedCallback(NULL, NULL);
    expect_rejected("TIMFriendshipAddToBlackList(\"[]\")",
        TIMFriendshipAddToBlackList("[]", must_not_fire, "black-empty"), TIM_ERR_PARAM, "black-empty");
    expect_rejected("TIMFriendshipDeleteFromBlackList(json \"[\")",
        TIMFriendshipDeleteFromBlackList("[", must_not_fire, "black-bad"), TIM_ERR_JSON, "black-bad");
    waiter_init(&w);
    rc = TIMFriendshipGetBlackList(on_comm, &w);
    expect_async("TIMFriendshipGetBlackList", rc, &w, 0);
    waiter_destroy(&w);
    expect_rejected("TIMProfileGetUserProfileList(no users)",
        TIMProfileGetUserProfileList("{}", must_not_fire, "profile-none"), TIM_ERR_PARAM, "profile-none");
    expect_rejected("TIMProfileModifySelfUserProfile(json \"{\")",
        TIMProfileModifySelfUserProfile("{", must_not_fire, "profile-bad"), TIM_ERR_JSON, "profile-bad");
    waiter_init(&w);
    rc = TIMProfileModifySelfUserProfile("{\"user_profile_item_gender\":9}", on_comm, &w);
    expect_async("TIMProfileModifySelfUserProfile(gender 9)", rc, &w, 40605 /* ERR_SVR_PROFILE_VALUE_ERROR */);
    waiter_destroy(&w);
    expect_rejected("TIMMsgSendGroupMessageReceipts(\"[]\")",
        TIMMsgSendGroupMessageReceipts("[]", must_not_fire, "greceipt-empty"), TIM_ERR_PARAM, "greceipt-empty");
    expect_rejected("TIMMsgGetGroupMessageReceipts(json \"[\")",
        TIMMsgGetGroupMessageReceipts("[", must_not_fire, "greceipts-bad"), TIM_ERR_JSON, "greceipts-bad");
    g_cases++;
    rc = TIMMsgGetGroupMessageReadMembers("{}", (enum TIMGroupMessageReadMembersFilter)7, 0, 10, NULL, NULL);
    if (rc == TIM_ERR_PARAM) {
        printf("ok   TIMMsgGetGroupMessageReadMembers(bad filter, NULL callback) -> %d\n", rc);
    } else {
        fail("TIMMsgGetGroupMessageReadMembers(bad filter)", "returned %d", rc);
    }
    expect_rejected("TIMGroupSetGroupAttributes(not an array)",
        TIMGroupSetGroupAttributes("g", "{}", must_not_fire, "gattr-object"), TIM_ERR_JSON, "gattr-object");
    expect_rejected("TIMGroupInitGroupAttributes(NULL group)",
        TIMGroupInitGroupAttributes(NULL, "[]", must_not_fire, "gattr-null"), TIM_ERR_PARAM, "gattr-null");
    expect_rejected("TIMGroupDeleteGroupAttributes(NULL keys)",
        TIMGroupDeleteGroupAttributes("g", NULL, must_not_fire, "gattr-nokeys"), TIM_ERR_PARAM, "gattr-nokeys");
    expect_rejected("TIMGroupGetGroupAttributes(keys \"[\")",
        TIMGroupGetGroupAttributes("g", "[", must_not_fire, "gattr-bad"), TIM_ERR_JSON, "gattr-bad");
    expect_rejected("TIMGroupGetOnlineMemberCount(\"\")",
        TIMGroupGetOnlineMemberCount("", must_not_fire, "gcount-empty"), TIM_ERR_PARAM, "gcount-empty");
    expect_rejected("TIMGroupSearchGroups(NULL)", TIMGroupSearchGroups(NULL, must_not_fire, "gsearch-null"),
        TIM_ERR_PARAM, "gsearch-null");
    expect_rejected("TIMGroupSearchGroupMembers(json \"{\")",
        TIMGroupSearchGroupMembers("{", must_not_fire, "gmsearch-bad"), TIM_ERR_JSON, "gmsearch-bad");
    expect_rejected("TIMMsgSetGroupReceiveMessageOpt(opt 9)",
        TIMMsgSetGroupReceiveMessageOpt("g", (enum TIMReceiveMessageOpt)9, must_not_fire, "grecv-opt"),
        TIM_ERR_PARAM, "grecv-opt");
    waiter_init(&w);
    rc = TIMGroupSearchGroups("{}", on_comm, &w);
    expect_async("TIMGroupSearchGroups(no keywords)", rc, &w, 6017 /* ERR_INVALID_PARAMETERS */);
    waiter_destroy(&w);
    waiter_init(&w);
    rc = TIMGroupCreate("{}", on_comm, &w);
    expect_async("TIMGroupCreate(without a name)", rc, &w, 10004 /* ERR_SVR_GROUP_INVALID_PARAMETERS */);
    waiter_destroy(&w);
    waiter_init(&w);
    rc = TIMGroupModifyGroupInfo("{\"group_modify_info_param_group_id\":\"g-none\","
                                 "\"group_modify_info_param_modify_flag\":0}", on_comm, &w);
    expect_async("TIMGroupModifyGroupInfo(a group that does not exist)", rc, &w,
        10010 /* ERR_SVR_GROUP_NOT_FOUND */);
    waiter_destroy(&w);
    waiter_init(&w);
    rc = TIMGroupHandlePendency("{\"group_handle_pendency_param_pendency\":{\"group_pendency_group_id\":\"g\","
                                "\"group_pendency_add_time\":1}}", on_comm, &w);
    expect_async("TIMGroupHandlePendency(a pendency that does not exist)", rc, &w,
        10004 /* ERR_SVR_GROUP_INVALID_PARAMETERS */);
    waiter_destroy(&w);
    /* ---- media ----------------------------------------------------------------------------- */
    expect_rejected("TIMMsgDownloadElemToPath(NULL param)",
        TIMMsgDownloadElemToPath(NULL, "/tmp/x", must_not_fire, "download-null"), TIM_ERR_PARAM, "download-null");
    expect_rejected("TIMMsgDownloadElemToPath(json \"{\")",
        TIMMsgDownloadElemToPath("{", "/tmp/x", must_not_fire, "download-bad"), TIM_ERR_JSON, "download-bad");
    expect_rejected("TIMMsgDownloadElemToPath(NULL path)",
        TIMMsgDownloadElemToPath("{}", NULL, must_not_fire, "download-nopath"), TIM_ERR_PARAM, "download-nopath");
    expect_rejected("TIMMsgDownloadElemToPath(path \"\\xff\")",
        TIMMsgDownloadElemToPath("{}", "\xff", must_not_fire, "download-utf8"), TIM_ERR_PARAM, "download-utf8");
    TIMSetMsgElemUploadProgressCallback(NULL, NULL);
    waiter_init(&w);
    rc = TIMMsgDownloadElemToPath("{\"msg_download_elem_param_url\":\"/media/files/0123456789abcdef0123456789abcdef/orig?expires=1&sig=00\"}",
                                  "/tmp/opentim-badinput-download", on_comm, &w);
    expect_async("TIMMsgDownloadElemToPath(a URL the server did not hand out)", rc, &w,
        6006 /* ERR_FILE_TRANS_AUTH_FAILED */);
    waiter_destroy(&w);
    /* ---- friendship ------------------------------------------------------------------------ */
    expect_rejected("TIMFriendshipAddFriend(NULL)", TIMFriendshipAddFriend(NULL, must_not_fire, "fadd-null"),
        TIM_ERR_PARAM, "fadd-null");
    expect_rejected("TIMFriendshipAddFriend(json \"{\")", TIMFriendshipAddFriend("{", must_not_fire, "fadd-bad"),
        TIM_ERR_JSON, "fadd-bad");
    expect_rejected("TIMFriendshipAddFriend([1]) (not an object)",
        TIMFriendshipAddFriend("[1]", must_not_fire, "fadd-array"), TIM_ERR_JSON, "fadd-array");
    expect_rejected("TIMFriendshipHandleFriendAddRequest(NULL)",
        TIMFriendshipHandleFriendAddRequest(NULL, must_not_fire, "fhandle-null"), TIM_ERR_PARAM, "fhandle-null");
    expect_rejected("TIMFriendshipModifyFriendProfile(json \"{\")",
        TIMFriendshipModifyFriendProfile("{", must_not_fire, "fmodify-bad"), TIM_ERR_JSON, "fmodify-bad");
    expect_rejected("TIMFriendshipDeleteFriend(NULL)", TIMFriendshipDeleteFriend(NULL, must_not_fire, "fdel-null"),
        TIM_ERR_PARAM, "fdel-null");
    expect_rejected("TIMFriendshipCheckFriendType(json \"[\")",
        TIMFriendshipCheckFriendType("[", must_not_fire, "fcheck-bad"), TIM_ERR_JSON, "fcheck-bad");
    expect_rejected("TIMFriendshipCreateFriendGroup(NULL)",
        TIMFriendshipCreateFriendGroup(NULL, must_not_fire, "fgcreate-null"), TIM_ERR_PARAM, "fgcreate-null");
    expect_rejected("TIMFriendshipGetFriendGroupList({}) (not an array)",
        TIMFriendshipGetFriendGroupList("{}", must_not_fire, "fglist-object"), TIM_ERR_JSON, "fglist-object");
    expect_rejected("TIMFriendshipModifyFriendGroup(NULL)",
        TIMFriendshipModifyFriendGroup(NULL, must_not_fire, "fgmodify-null"), TIM_ERR_PARAM, "fgmodify-null");
    expect_rejected("TIMFriendshipDeleteFriendGroup(json \"[\")",
        TIMFriendshipDeleteFriendGroup("[", must_not_fire, "fgdel-bad"), TIM_ERR_JSON, "fgdel-bad");
    expect_rejected("TIMFriendshipGetPendencyList(NULL)",
        TIMFriendshipGetPendencyList(NULL, must_not_fire, "fpend-null"), TIM_ERR_PARAM, "fpend-null");
    expect_rejected("TIMFriendshipDeletePendency(json \"{\")",
        TIMFriendshipDeletePendency("{", must_not_fire, "fpenddel-bad"), TIM_ERR_JSON, "fpenddel-bad");
    expect_rejected("TIMFriendshipSearchFriends(NULL)",
        TIMFriendshipSearchFriends(NULL, must_not_fire, "fsearch-null"), TIM_ERR_PARAM, "fsearch-null");
    expect_rejected("TIMFriendshipGetFriendsInfo(json \"[\")",
        TIMFriendshipGetFriendsInfo("[", must_not_fire, "finfo-bad"), TIM_ERR_JSON, "finfo-bad");
    expect_rejected("TIMFriendshipAddToBlackList(NULL)",
        TIMFriendshipAddToBlackList(NULL, must_not_fire, "fblock-null"), TIM_ERR_PARAM, "fblock-null");
    expect_rejected("TIMFriendshipDeleteFromBlackList({}) (not an array)",
        TIMFriendshipDeleteFromBlackList("{}", must_not_fire, "funblock-object"), TIM_ERR_JSON, "funblock-object");
    TIMSetOnAddFriendCallback(NULL, NULL);
    TIMSetOnDeleteFriendCallback(NULL, NULL);
    TIMSetUpdateFriendProfileCallback(NULL, NULL);
    TIMSetFriendAddRequestCallback(NULL, NULL);
    TIMSetFriendApplicationListDeletedCallback(NULL, NULL);
    TIMSetFriendApplicationListReadCallback(NULL, NULL);
    TIMSetFriendBlackListAddedCallback(NULL, NULL);
    TIMSetFriendBlackListDeletedCallback(NULL, NULL);
    waiter_init(&w);
    rc = TIMFriendshipCreateFriendGroup("{\"friendship_create_friend_group_param_name_array\":"
                                        "[\"a friend group name longer than thirty bytes\"]}", on_comm, &w);
    expect_async("TIMFriendshipCreateFriendGroup(a name over max_friend_group_name_bytes)", rc, &w,
        30001 /* ERR_SVR_FRIENDSHIP_INVALID_PARAMETERS */);
    waiter_destroy(&w);
    waiter_init(&w);
    rc = TIMFriendshipSearchFriends("{\"friendship_search_param_keyword_list\":[]}", on_comm, &w);
    expect_async("TIMFriendshipSearchFriends(no keywords)", rc, &w, 6017 /* ERR_INVALID_PARAMETERS */);
    waiter_destroy(&w);
    expect_rejected("TIMConvGetConvInfo(NULL)", TIMConvGetConvInfo(NULL, must_not_fire, "convinfo-null"),
        TIM_ERR_PARAM, "convinfo-null");
    expect_rejected("TIMConvGetConvInfo(\"{}\") (not an array)",
        TIMConvGetConvInfo("{}", must_not_fire, "convinfo-object"), TIM_ERR_JSON, "convinfo-object");
    waiter_init(&w);
    rc = TIMConvGetConvInfo("[]", on_comm, &w);
    expect_async("TIMConvGetConvInfo([])", rc, &w, 0);
    g_cases++;
    if (rc == TIM_SUCC && w.fired && w.json != NULL && strcmp(w.json, "[]") == 0) {
        printf("ok   TIMConvGetConvInfo([]) -> []\n");
    } else {
        fail("TIMConvGetConvInfo([]) json", "is %s", w.json ? w.json : "(null)");
    }
    waiter_destroy(&w);
    waiter_init(&w);
    rc = TIMMsgReportReaded("nobody-talked-to-me", kTIMConv_C2C, NULL, on_comm, &w);
    expect_async("TIMMsgReportReaded(a conversation that does not exist)", rc, &w, 0);
    waiter_destroy(&w);

    snprintf(image_msg, sizeof image_msg, "{\"%s\":[{\"%s\":%d,\"%s\":\"/nonexistent/badinput.png\",\"%s\":%d}]}",
             kTIMMsgElemArray, kTIMElemType, (int)kTIMElem_Image, kTIMImageElemOrigPath, kTIMImageElemLevel,
             (int)kTIMImageLevel_Orig);
    waiter_init(&w);
    rc = TIMMsgSendNewMsg(peer, kTIMConv_C2C, image_msg, on_comm, &w);
    expect_async("TIMMsgSendNewMsg(image element, no such file)", rc, &w, 7004 /* ERR_SDK_COMM_FILE_NOT_FOUND */);
    waiter_destroy(&w);

    big_msg = (char*)malloc(big_len + 256);
    if (big_msg == NULL) {
        printf("out of memory\n");
        return 1;
    }
    snprintf(big_msg, big_len + 256, "{\"%s\":[{\"%s\":%d,\"%s\":\"", kTIMMsgElemArray, kTIMElemType, (int)kTIMElem_Text,
             kTIMTextElemContent);
    {
        size_t len = strlen(big_msg);
        memset(big_msg + len, 'a', big_len);
        strcpy(big_msg + len + big_len, "\"}]}");
    }
    waiter_init(&w);
    rc = TIMMsgSendNewMsg(peer, kTIMConv_C2C, big_msg, on_comm, &w);
    expect_async("TIMMsgSendNewMsg(13000-byte text)", rc, &w, 80002 /* ERR_SVR_COMM_BODY_SIZE_LIMIT */);
    waiter_destroy(&w);
    free(big_msg);

    /* ---- NULL callbacks ------------------------------------------------------------------ */
    expect_rc("TIMMsgSendNewMsg(valid, NULL cb)", TIMMsgSendNewMsg(peer, kTIMConv_C2C, text_msg, NULL, NULL), TIM_SUCC);
    waiter_init(&w);
    rc = TIMLogout(on_comm, &w);
    expect_async("TIMLogout", rc, &w, 0);
    waiter_destroy(&w);
    expect_rc("TIMLogin(valid, NULL cb)", TIMLogin(user, sig, NULL, NULL), TIM_SUCC);
    sleep(2); /* let the login complete: the library must skip the NULL callback, not call it */
    {
        int attempts;
        waiter_init(&w);
        /* The login above may still be running; a logout then may be refused, so retry. */
        for (attempts = 0; attempts < 10; ++attempts) {
            rc = TIMLogout(on_comm, &w);
            if (rc != TIM_SUCC) break;
            if (!waiter_wait(&w) || w.code == 0) break;
            printf("note: TIMLogout after NULL-cb login gave code %d (%s); retrying\n", (int)w.code, w.desc);
            pthread_mutex_lock(&w.mutex);
            w.fired = 0;
            pthread_mutex_unlock(&w.mutex);
            sleep(1);
        }
        g_cases++;
        if (rc != TIM_SUCC || !w.fired || w.code != 0) {
            fail("TIMLogout after TIMLogin with NULL cb", "rc %d fired %d code %d", rc, w.fired, (int)w.code);
        } else {
            printf("ok   TIMLogout after TIMLogin with NULL cb -> callback 0\n");
        }
        waiter_destroy(&w);
    }

    /* ---- TIMUninit ------------------------------------------------------------------------ */
    TIMSetNetworkStatusListenerCallback(NULL, NULL);
    expect_rc("TIMUninit", TIMUninit(), TIM_SUCC);
    expect_rejected("TIMLogin after TIMUninit", TIMLogin(user, sig, must_not_fire, "login-after-uninit"),
        TIM_ERR_SDKUNINIT, "login-after-uninit");
    expect_rejected("TIMMsgSendNewMsg after TIMUninit",
        TIMMsgSendNewMsg(peer, kTIMConv_C2C, text_msg, must_not_fire, "send-after-uninit"),
        TIM_ERR_SDKUNINIT, "send-after-uninit");

    /* ---- no callback of a rejected call fired ---------------------------------------------- */
    g_cases++;
    pthread_mutex_lock(&g_stray_mutex);
    {
        int i, j, strays = 0;
        for (i = 0; i < g_stray_calls && i < MAX_LABELS; ++i) {
            int accepted = 0;
            for (j = 0; j < g_accepted; ++j) {
                if (strcmp(g_accepted_labels[j], g_stray_labels[i]) == 0) accepted = 1;
            }
            if (!accepted) {
                strays++;
                printf("callback of rejected call \"%s\" fired\n", g_stray_labels[i]);
            }
        }
        if (strays != 0) {
            fail("callbacks of rejected calls", "%d fired", strays);
        } else {
            printf("ok   no callback fired for a rejected call (%d for wrongly accepted calls)\n", g_stray_calls);
        }
    }
    pthread_mutex_unlock(&g_stray_mutex);

    if (g_failures != 0) {
        printf("badinput FAILED: %d of %d cases\n", g_failures, g_cases);
        return 1;
    }
    printf("%d cases matched\n", g_cases);
    printf("badinput ok\n");
    return 0;
}
