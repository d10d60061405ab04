# cudnn.sh — sourced by build.sh and check.sh: where cuDNN is on the GPU machine. Sets
# CUDNN_ROOT (kept when set; else PyTorch's nvidia.cudnn wheel, found with ${PYTHON:-python3}),
# CUDNN_H (its cudnn.h) and CUDNN_LIB (libcudnn.so.9, else libcudnn.so: the wheel may ship no
# unversioned library); each is empty when not found.
if [ -z "${CUDNN_ROOT:-}" ]; then
  CUDNN_ROOT=$("${PYTHON:-python3}" -c 'import os, nvidia.cudnn as m
print(os.path.dirname(m.__file__) if getattr(m, "__file__", None) else list(m.__path__)[0])' \
    2>/dev/null) || CUDNN_ROOT=
fi
CUDNN_H= CUDNN_LIB=
if [ -n "$CUDNN_ROOT" ]; then
  CUDNN_H=$(find -L "$CUDNN_ROOT" -name cudnn.h -print -quit)
  CUDNN_LIB=$(find -L "$CUDNN_ROOT" -name libcudnn.so.9 -print -quit)
  [ -n "$CUDNN_LIB" ] || CUDNN_LIB=$(find -L "$CUDNN_ROOT" -name libcudnn.so -print -quit)
fi
