// ops.hpp — every operator of the engine, for models and tools that want them all.
#pragma once
#include "ops/batchnorm.hpp"
#include "ops/conv2d.hpp"
#include "ops/elementwise.hpp"
#include "ops/linear.hpp"
#include "ops/matmul.hpp"
#include "ops/pool2d.hpp"
#include "ops/reduce.hpp"
#include "ops/relu.hpp"
#include "ops/shape_ops.hpp"
#include "ops/sobel.hpp"
#include "ops/softmax.hpp"
