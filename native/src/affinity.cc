// CPU affinity for the calling thread.
//
// Node gives JavaScript no way to pin a thread, and a partition worker that
// migrates between cores loses its caches and its place in the ring hand-off.
// Each function here acts on the thread that calls it, so a worker_thread pins
// itself by calling pinCurrentThread() from its own JavaScript.

#include <node_api.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#if defined(__linux__)
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#define TICKFLOW_HAS_AFFINITY 1
#else
#define TICKFLOW_HAS_AFFINITY 0
#endif

namespace {

napi_value MakeInt(napi_env env, int64_t value) {
  napi_value out;
  napi_create_int64(env, value, &out);
  return out;
}

napi_value ThrowErrno(napi_env env, const char* what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s failed: %s", what, strerror(err));
  napi_throw_error(env, "ERR_TICKFLOW_AFFINITY", message);
  return nullptr;
}

// pinCurrentThread(cpu: number): void. Throws with the OS reason on failure.
napi_value PinCurrentThread(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t cpu = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &cpu) != napi_ok || cpu < 0) {
    napi_throw_type_error(env, "ERR_TICKFLOW_AFFINITY", "cpu must be an integer >= 0");
    return nullptr;
  }
#if TICKFLOW_HAS_AFFINITY
  if (cpu >= CPU_SETSIZE) return ThrowErrno(env, "sched_setaffinity", EINVAL);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  // pid 0 means the calling thread, not the whole process.
  if (sched_setaffinity(0, sizeof set, &set) != 0) return ThrowErrno(env, "sched_setaffinity", errno);
  return nullptr;
#else
  napi_throw_error(env, "ERR_TICKFLOW_AFFINITY", "thread pinning is not supported on this platform");
  return nullptr;
#endif
}

// currentThreadAffinity(): number[] of the CPUs the calling thread may run on.
napi_value CurrentThreadAffinity(napi_env env, napi_callback_info) {
  napi_value list;
  napi_create_array(env, &list);
#if TICKFLOW_HAS_AFFINITY
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return ThrowErrno(env, "sched_getaffinity", errno);
  uint32_t index = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (CPU_ISSET(cpu, &set)) napi_set_element(env, list, index++, MakeInt(env, cpu));
  }
#endif
  return list;
}

// currentCpu(): number, the CPU the calling thread is running on now (-1 if unknown).
napi_value CurrentCpu(napi_env env, napi_callback_info) {
#if TICKFLOW_HAS_AFFINITY
  return MakeInt(env, sched_getcpu());
#else
  return MakeInt(env, -1);
#endif
}

// currentThreadId(): number, the kernel thread id (what `ps -L` and perf show).
napi_value CurrentThreadId(napi_env env, napi_callback_info) {
#if TICKFLOW_HAS_AFFINITY
  return MakeInt(env, static_cast<int64_t>(syscall(SYS_gettid)));
#else
  return MakeInt(env, -1);
#endif
}

napi_value Export(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value value;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &value);
  napi_set_named_property(env, exports, name, value);
  return exports;
}

}  // namespace

// NAPI_MODULE_INIT makes the addon context-aware, so every worker_thread can load it.
NAPI_MODULE_INIT() {
  Export(env, exports, "pinCurrentThread", PinCurrentThread);
  Export(env, exports, "currentThreadAffinity", CurrentThreadAffinity);
  Export(env, exports, "currentCpu", CurrentCpu);
  Export(env, exports, "currentThreadId", CurrentThreadId);
  napi_value supported;
  napi_get_boolean(env, TICKFLOW_HAS_AFFINITY == 1, &supported);
  napi_set_named_property(env, exports, "supported", supported);
  return exports;
}
