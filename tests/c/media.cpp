// media.cpp - end-to-end media check for libImSDK (opentim), two processes against one server:
// a sender who sends an image and a file from local paths, and a receiver who downloads both
// with TIMMsgDownloadElemToPath. Written as an application of the 2019-2020 C SDK would be.
//
// Usage:
//   media receiver USER SIG SERVER DATADIR FILESDIR SENDER
//   media sender   USER SIG SERVER DATADIR FILESDIR RECEIVER
//
// sender: writes FILESDIR/pixel.png (a 1x1 PNG) and FILESDIR/data.bin (300 KiB), sends them in
//   one message with TIMMsgElemUploadProgressCallback set (each element's reports monotonic,
//   ending at its size), checks the sent Message carries the ids, URLs and sizes, and prints
//   "sender ok".
// receiver: prints "ready", waits for the message, downloads the image and the file to its data
//   directory (every MsgDownloadElemResult with the keys of the seed's Example 7, the last at
//   the total), compares them with the sender's bytes, and prints "receiver ok".
//
// Any failed check prints "FAIL: ..." and exits 1. A watchdog (alarm) kills a hung process.

#include <json/json.h>

#include "TIMCloud.h"
#include "tim_test.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <map>

namespace {

const char* const kDownloadResultKeys[] = {"msg_download_elem_result_current_size",
                                           "msg_download_elem_result_total_size"};

// A 1x1 PNG.
const unsigned char kPixel[] = {
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0xF8, 0xCF, 0xC0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xDD, 0x8D, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82};

std::string PixelBytes() { return std::string(reinterpret_cast<const char*>(kPixel), sizeof kPixel); }

std::string DataBytes() {
    std::string out(300 * 1024, '\0');
    for (size_t i = 0; i < out.size(); i++) out[i] = static_cast<char>((i * 13) % 251);
    return out;
}

bool WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(f);
}

std::string ReadFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// ---------------------------------------------------------------------------------------------
// What arrives

std::mutex g_mutex;
std::condition_variable g_cv;
std::vector<Json::Value> g_messages;
// Upload progress per element index: (cur, total).
std::map<uint32_t, std::vector<std::pair<uint32_t, uint32_t>>> g_progress;

void OnNewMessages(const char* json_msg_array, const void*) {
    NoteCallbackThread("TIMRecvNewMsgCallback");
    Json::Value parsed;
    std::string error;
    if (!ParseJson(json_msg_array, parsed, error)) {
        FAILF("TIMRecvNewMsgCallback: %s", error.c_str());
        return;
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    for (const Json::Value& m : parsed) g_messages.push_back(m);
    g_cv.notify_all();
}

void OnUploadProgress(const char* json_msg, uint32_t index, uint32_t cur, uint32_t total, const void*) {
    NoteCallbackThread("TIMMsgElemUploadProgressCallback");
    Json::Value parsed;
    std::string error;
    if (!ParseJson(json_msg, parsed, error) || !parsed.isObject()) {
        FAILF("TIMMsgElemUploadProgressCallback: json_msg is not a Message: %s", error.c_str());
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    g_progress[index].push_back(std::make_pair(cur, total));
}

bool Setup(const std::string& user, const std::string& sig, const std::string& server, const std::string& data) {
    g_main_thread = std::this_thread::get_id();
    TIMAddRecvNewMsgCallback(OnNewMessages, nullptr);
    TIMSetMsgElemUploadProgressCallback(OnUploadProgress, nullptr);
    TIMSetNetworkStatusListenerCallback(OnNetworkStatus, nullptr);
    if (!InitSdk(server, data)) return false;
    Pending login;
    return Login(user, sig, login, OnComm);
}

void CheckProgress(uint32_t index, size_t size) {
    std::lock_guard<std::mutex> lock(g_mutex);
    const std::vector<std::pair<uint32_t, uint32_t>>& p = g_progress[index];
    if (p.empty()) {
        FAILF("no upload progress for element %u", index);
        return;
    }
    for (size_t i = 0; i < p.size(); i++) {
        if (p[i].second != size || (i > 0 && p[i].first < p[i - 1].first)) {
            FAILF("element %u: progress %u/%u after %u", index, p[i].first, p[i].second, i > 0 ? p[i - 1].first : 0);
        }
    }
    if (p.back().first != size) FAILF("element %u: progress ends at %u of %zu", index, p.back().first, size);
    logf("callback TIMMsgElemUploadProgressCallback: element %u, %zu reports up to %zu bytes", index, p.size(), size);
}

// ---------------------------------------------------------------------------------------------
// sender

int RunSender(const std::string& user, const std::string& sig, const std::string& server, const std::string& data,
              const std::string& files, const std::string& receiver) {
    if (!Setup(user, sig, server, data)) return 1;
    std::string pixel = files + "/pixel.png", blob = files + "/data.bin";
    if (!WriteFile(pixel, PixelBytes()) || !WriteFile(blob, DataBytes())) {
        FAILF("cannot write the files to send under %s", files.c_str());
        return 1;
    }
    Json::Value image;
    image[kTIMElemType] = kTIMElem_Image;
    image[kTIMImageElemOrigPath] = pixel;
    image[kTIMImageElemLevel] = kTIMImageLevel_Orig;
    Json::Value file;
    file[kTIMElemType] = kTIMElem_File;
    file[kTIMFileElemFilePath] = blob;
    file[kTIMFileElemFileName] = "data.bin";
    Json::Value msg;
    msg[kTIMMsgElemArray].append(image);
    msg[kTIMMsgElemArray].append(file);
    std::string json = ToJson(msg);
    Json::Value sent;
    if (!Call("TIMMsgSendNewMsg(image, file)",
              [&](TIMCommCallback cb, const void* ud) {
                  return TIMMsgSendNewMsg(receiver.c_str(), kTIMConv_C2C, json.c_str(), cb, ud);
              },
              &sent)) {
        return 1;
    }
    CheckProgress(0, sizeof kPixel);
    CheckProgress(1, DataBytes().size());
    const Json::Value& si = sent[kTIMMsgElemArray][0];
    const Json::Value& sf = sent[kTIMMsgElemArray][1];
    if (si[kTIMImageElemOrigUrl].asString().empty() || si[kTIMImageElemOrigId].asString().empty() ||
        si[kTIMImageElemOrigPicWidth].asInt() != 1 || si[kTIMImageElemThumbUrl].asString().empty() ||
        si[kTIMImageElemOrigPath].asString() != pixel) {
        FAILF("the sent image element: %s", ToJson(si).c_str());
    }
    if (sf[kTIMFileElemUrl].asString().empty() || sf[kTIMFileElemFileSize].asUInt() != DataBytes().size()) {
        FAILF("the sent file element: %s", ToJson(sf).c_str());
    }
    return Finish("sender ok");
}

// ---------------------------------------------------------------------------------------------
// receiver

// Download `param` to `path`; every report is checked, the last must be the whole file.
bool Download(const char* what, const Json::Value& param, const std::string& path, size_t size) {
    struct Reports {
        std::mutex mutex;
        std::condition_variable cv;
        std::vector<Json::Value> ok;
        int32_t failed = 0;
        std::string desc;
        size_t size = 0;
        bool done = false;
    } r;
    r.size = size;
    TIMCommCallback cb = [](int32_t code, const char* desc, const char* json, const void* ud) {
        NoteCallbackThread("TIMMsgDownloadElemToPath callback");
        Reports* r = static_cast<Reports*>(const_cast<void*>(ud));
        std::lock_guard<std::mutex> lock(r->mutex);
        if (code != 0) {
            r->failed = code;
            r->desc = desc != nullptr ? desc : "";
            r->done = true;
        } else {
            Json::Value v;
            std::string error;
            if (ParseJson(json, v, error)) r->ok.push_back(v);
            if (v[kTIMMsgDownloadElemResultCurrentSize].asUInt64() == r->size) r->done = true;
        }
        r->cv.notify_all();
    };
    std::string json = ToJson(param);
    int rc = TIMMsgDownloadElemToPath(json.c_str(), path.c_str(), cb, &r);
    if (rc != TIM_SUCC) {
        FAILF("%s: TIMMsgDownloadElemToPath returned %d", what, rc);
        return false;
    }
    std::unique_lock<std::mutex> lock(r.mutex);
    if (!r.cv.wait_for(lock, std::chrono::seconds(kWaitSeconds), [&] { return r.done; })) {
        FAILF("%s: the download did not finish within %d s", what, kWaitSeconds);
        return false;
    }
    if (r.failed != 0) {
        FAILF("%s: download failed %d %s", what, r.failed, r.desc.c_str());
        return false;
    }
    for (const Json::Value& v : r.ok) {
        CheckKeys("MsgDownloadElemResult (Example 7)", v, KEYS(kDownloadResultKeys));
        if (v[kTIMMsgDownloadElemResultTotalSize].asUInt64() != size) FAILF("%s: %s", what, ToJson(v).c_str());
    }
    logf("%s: %zu reports with the seed's keys, %zu bytes", what, r.ok.size(), size);
    return true;
}

int RunReceiver(const std::string& user, const std::string& sig, const std::string& server, const std::string& data,
                const std::string& files, const std::string& sender) {
    (void)files;
    if (!Setup(user, sig, server, data)) return 1;
    logf("ready");
    Json::Value msg;
    {
        std::unique_lock<std::mutex> lock(g_mutex);
        if (!g_cv.wait_for(lock, std::chrono::seconds(60), [] { return !g_messages.empty(); })) {
            FAILF("no message within 60 s");
            return 1;
        }
        msg = g_messages.front();
    }
    if (msg[kTIMMsgSender].asString() != sender || msg[kTIMMsgElemArray].size() != 2) {
        FAILF("the message: %s", ToJson(msg).c_str());
        return 1;
    }
    const Json::Value& image = msg[kTIMMsgElemArray][0];
    const Json::Value& file = msg[kTIMMsgElemArray][1];
    Json::Value p;
    p[kTIMMsgDownloadElemParamFlag] = 2;
    p[kTIMMsgDownloadElemParamType] = kTIMDownload_File;
    p[kTIMMsgDownloadElemParamId] = image[kTIMImageElemOrigId];
    p[kTIMMsgDownloadElemParamBusinessId] = 0;
    p[kTIMMsgDownloadElemParamUrl] = image[kTIMImageElemOrigUrl];
    std::string image_path = data + "/pixel.png";
    if (!Download("image", p, image_path, sizeof kPixel)) return 1;
    if (ReadFile(image_path) != PixelBytes()) FAILF("the downloaded image differs from what was sent");
    p[kTIMMsgDownloadElemParamFlag] = file[kTIMFileElemDownloadFlag];
    p[kTIMMsgDownloadElemParamId] = file[kTIMFileElemFileId];
    p[kTIMMsgDownloadElemParamBusinessId] = file[kTIMFileElemBusinessId];
    p[kTIMMsgDownloadElemParamUrl] = file[kTIMFileElemUrl];
    std::string file_path = data + "/data.bin";
    if (!Download("file", p, file_path, DataBytes().size())) return 1;
    if (ReadFile(file_path) != DataBytes()) FAILF("the downloaded file differs from what was sent");
    if (file[kTIMFileElemFileName].asString() != "data.bin") FAILF("the file element: %s", ToJson(file).c_str());
    return Finish("receiver ok");
}

int Usage() {
    std::fprintf(stderr,
                 "usage: media receiver USER SIG SERVER DATADIR FILESDIR SENDER\n"
                 "       media sender   USER SIG SERVER DATADIR FILESDIR RECEIVER\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 8) return Usage();
    alarm(120);
    std::string mode = argv[1];
    if (mode == "receiver") return RunReceiver(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
    if (mode == "sender") return RunSender(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
    return Usage();
}
