/*
 * TIMCloudComm.h - opentim: common definitions shared by the libImSDK C headers.
 *
 * Part of opentim, an independent implementation of the Tencent Cloud IM
 * C API. This file only provides the export macro and the basic types used
 * by TIMCloud.h, TIMCloudCallback.h and TIMCloudDef.h.
 */
#ifndef TIM_CLOUD_COMM_H_
#define TIM_CLOUD_COMM_H_

#include <stdbool.h>
#include <stdint.h>

/*
 * TIM_DECL marks a function exported by the library.
 *
 * Windows: the library itself is compiled with TIM_EXPORTS defined and
 * exports the symbols; applications import them from the DLL.
 * GCC / Clang: the symbols keep default visibility even when the library
 * is built with -fvisibility=hidden.
 * No calling-convention keyword is used, so the platform's default C
 * convention applies (cdecl on 32-bit Windows).
 */
#ifndef TIM_DECL
#  if defined(_WIN32) || defined(__CYGWIN__)
#    if defined(TIM_EXPORTS)
#      define TIM_DECL __declspec(dllexport)
#    else
#      define TIM_DECL __declspec(dllimport)
#    endif
#  elif defined(__GNUC__) || defined(__clang__)
#    define TIM_DECL __attribute__((visibility("default")))
#  else
#    define TIM_DECL
#  endif
#endif

/*
 * The C API uses `bool` in a few prototypes. In C++ it is the built-in
 * type. In plain C up to C17, unless <stdbool.h> has already provided it,
 * it is a one-byte unsigned value, which is what the library expects on
 * the ABI level.
 */
#if !defined(__cplusplus) && !defined(bool)
#  if !defined(__STDC_VERSION__) || __STDC_VERSION__ <= 201710L
typedef unsigned char bool;
#  else
/* C23 and later drafts: bool is (or is about to be) built in. */
#    include <stdbool.h>
#  endif
#endif

#endif /* TIM_CLOUD_COMM_H_ */
