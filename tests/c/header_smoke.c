/* Compile-only check that the public headers are valid C99:
 *   gcc -Wall -Wextra -Werror -std=c99 -I crates/capi/include -fsyntax-only tests/c/header_smoke.c
 */
#include "TIMCloud.h"

#include <stddef.h>

static void on_done(int32_t code, const char* desc, const char* json_params, const void* user_data) {
    (void)code;
    (void)desc;
    (void)json_params;
    (void)user_data;
}

static void on_new_msg(const char* json_msg_array, const void* user_data) {
    (void)json_msg_array;
    (void)user_data;
}

static void on_net(enum TIMNetworkStatus status, int32_t code, const char* desc, const void* user_data) {
    (void)status;
    (void)code;
    (void)desc;
    (void)user_data;
}

int header_smoke(void);

int header_smoke(void) {
    const char* key = kTIMMsgElemArray;
    enum TIMElemType type = kTIMElem_Text;
    enum TIMGroupModifyInfoFlag owner = kTIMGroupModifyInfoFlag_Owner;
    enum TIMErrCode err = ERR_SUCC;
    bool flag = 1;
    TIMCommCallback cb = on_done;
    int rc;

    TIMAddRecvNewMsgCallback(on_new_msg, NULL);
    TIMSetNetworkStatusListenerCallback(on_net, NULL);
    rc = TIMInit(1400000000u, "{\"opentim_server_address\":\"ws://127.0.0.1:9300\"}");
    if (rc == TIM_SUCC) {
        rc = TIMMsgSendNewMsg("bob", kTIMConv_C2C, "{}", cb, NULL);
    }
    TIMRemoveRecvNewMsgCallback(on_new_msg);
    (void)TIMGetSDKVersion();
    {
        char id[128];
        enum TIMLoginStatus status = TIMGetLoginStatus();
        TIMLoginStatus same = status;
        rc += TIMGetLoginUserID(id) + (int)same + (int)(TIMGetServerTime() % 2u);
        rc += callExperimentalAPI("{}", cb, NULL);
    }
    return rc + (int)type + (int)err + (int)flag + (key[0] == 'm') + ((unsigned)owner == 0x80000000u);
}
