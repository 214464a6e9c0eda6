# Finds libtorch for the addon (CMakeLists.txt) and for the benchmark floors (bench/floor).
# One resolver decides which libtorch to use (scripts/find-libtorch.cjs): $LIBTORCH,
# LIBTORCH_USE_PYTORCH=1, then the system libtorch. binding.gyp asks the same script.
if(NOT Torch_DIR)
  execute_process(
    COMMAND node "${CMAKE_CURRENT_LIST_DIR}/../scripts/find-libtorch.cjs" --cmake-dir
    OUTPUT_VARIABLE Torch_DIR OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_VARIABLE TORCH_RESOLVE_ERROR RESULT_VARIABLE TORCH_RESOLVE_RESULT)
  if(NOT TORCH_RESOLVE_RESULT EQUAL 0)
    message(FATAL_ERROR "${TORCH_RESOLVE_ERROR}")
  endif()
endif()
# TorchConfig.cmake finds its libraries and its Caffe2 config with PATHS hints, which CMake
# searches after the system directories: with LIBTORCH set on a machine that also has Debian's
# libtorch-dev, it would link the system libraries against the other libtorch's headers.
# Pointing Caffe2_DIR and CMAKE_LIBRARY_PATH at the chosen libtorch makes it win.
get_filename_component(TORCH_LIB_DIR "${Torch_DIR}/../../../lib" ABSOLUTE)
if(EXISTS "${Torch_DIR}/../Caffe2/Caffe2Config.cmake")
  get_filename_component(Caffe2_DIR "${Torch_DIR}/../Caffe2" ABSOLUTE)
endif()
if(NOT EXISTS "${TORCH_LIB_DIR}")
  execute_process(COMMAND node "${CMAKE_CURRENT_LIST_DIR}/../scripts/find-libtorch.cjs" --libdir
    OUTPUT_VARIABLE TORCH_LIB_DIR OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
list(PREPEND CMAKE_LIBRARY_PATH "${TORCH_LIB_DIR}")
find_package(Torch REQUIRED)
# TORCH_CXX_FLAGS (the C++ ABI flag, for one) as a list for target_compile_options.
separate_arguments(TORCH_CXX_FLAGS_LIST UNIX_COMMAND "${TORCH_CXX_FLAGS}")
