#ifndef ZSTREAM_H
#define ZSTREAM_H
/*
 * Raw deflate (RFC 1951, zlib's windowBits -15) both ways on a stream, as
 * IMAP COMPRESS=DEFLATE (RFC 4978) asks: a stream layer (stream.h) under
 * the stream's buffers, over its TLS or clear-text I/O.
 *
 * Bounded: input is inflated into the stream's input buffer only, as the
 * reader consumes it, so a few KiB that inflate to many MiB cost no more
 * memory than any other input (the line and literal bounds apply to the
 * inflated bytes).  zlib's own state is fixed (about 300 KiB both ways).
 * A corrupt stream, or one the peer ended, is STREAM_ERROR with the reason
 * in stream_error.  Every stream_flush ends with Z_SYNC_FLUSH, so the peer
 * can decode all we sent without waiting for more.
 */
#include "stream.h"

/* Compression from now on, both ways: output already buffered goes out
 * uncompressed first; input already buffered but unread is taken as the
 * first compressed bytes.  0, or STREAM_ERROR (a layer already active, no
 * memory). */
int zstream_start(struct stream *s);

/* 1 when s is compressed. */
int zstream_active(const struct stream *s);
#endif
