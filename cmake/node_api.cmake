# The Node-API version of the addon (CMakeLists.txt) and of the benchmark floors' probe
# (bench/floor), so that the probe's finalizers run as the addon's do.
# NAPI_EXPERIMENTAL: tensor finalizers are "basic" (they touch no JS), which lets Node run
# them during garbage collection instead of from the event loop, so a synchronous training
# loop that never yields still frees the tensors it drops.
set(TORCH_NODE_NAPI_DEFINITIONS NAPI_EXPERIMENTAL NAPI_VERSION=2147483647)
