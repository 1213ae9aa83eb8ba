/* input.h - where log bytes come from, in three layers, each usable alone
 * and each in its own file:
 *  - inputs.h: the command line's FILE arguments expanded into a list of
 *    regular files and streams;
 *  - stream.h: the bytes of one input, decompressed (one decoder per
 *    file: stream-zlib.c, stream-isal.c, stream-zstd.c);
 *  - reader.h: blocks of whole lines on top of a stream.
 * This header only gathers them.
 */
#ifndef LOGS_INPUT_H
#define LOGS_INPUT_H

#include "inputs.h"
#include "reader.h"
#include "stream.h"

#endif
