// Compile-only check that the public headers are valid C++11:
//   g++ -Wall -Wextra -Werror -std=c++11 -I crates/capi/include -fsyntax-only tests/c/header_smoke.cpp
#include "TIMCloud.h"

#include <cstddef>

namespace {

void on_done(int32_t code, const char* desc, const char* json_params, const void* user_data) {
    (void)code;
    (void)desc;
    (void)json_params;
    (void)user_data;
}

}  // namespace

int header_smoke();

int header_smoke() {
    TIMElemType type = TIMElemType::kTIMElem_Text;
    const char* key = kTIMMsgElemArray;
    TIMNetworkStatus s = kTIMConnected;
    TIMGroupMemberRole owner = kTIMMemberRole_Owner;
    bool flag = true;
    int rc = TIMSetConfig(NULL, on_done, nullptr);
    rc += TIMLogin("alice", "sig", on_done, nullptr);
    const char* version = TIMGetSDKVersion();
    TIMLoginStatus status = TIMGetLoginStatus();
    rc += static_cast<int>(status) + static_cast<int>(TIMGetServerTime() % 2u);
    rc += callExperimentalAPI("{}", on_done, nullptr);
    static_assert(kTIMMemberRole_Owner == 400, "decision 3");
    static_assert(kTIMElem_Invalid == -1, "invalid elem");
    static_assert(static_cast<unsigned long long>(kTIMGroupModifyInfoFlag_Owner) == 0x80000000ull, "bit 31");
    return rc + static_cast<int>(type) + static_cast<int>(s) + static_cast<int>(owner) + (flag ? 1 : 0) +
           (key[0] == 'm') + (version != nullptr);
}
