"""Shared codec pieces (drivers/wire/base.py): the error pair and length-prefixed frames."""

from __future__ import annotations

import struct

import pytest

from dbapi_conformance.drivers.wire.base import (
    NEED_DATA,
    LengthPrefixedFrames,
    LocalProtocolError,
    NeedData,
    ProtocolError,
    RemoteProtocolError,
)


def test_frames_split_and_joined_across_reads():
    frames = LengthPrefixedFrames(max_size=16)
    data = frames.frame(b"abc") + frames.frame(b"") + frames.frame(b"0123456789")
    assert data[:4] == struct.pack(">i", 3)
    got = []
    for i in range(len(data)):  # one byte at a time
        frames.receive_data(data[i:i + 1])
        while (body := frames.next_frame()) is not None:
            got.append(body)
    assert got == [b"abc", b"", b"0123456789"]
    assert frames.next_frame() is None


@pytest.mark.parametrize("header", [struct.pack(">i", -1), struct.pack(">i", 17)])
def test_bad_lengths_are_the_peers_fault(header):
    frames = LengthPrefixedFrames(max_size=16)
    frames.receive_data(header)
    with pytest.raises(RemoteProtocolError, match="outside 0..16"):
        frames.next_frame()


def test_eof_inside_a_frame_and_oversized_sends():
    frames = LengthPrefixedFrames(max_size=16)
    frames.receive_data(struct.pack(">i", 5) + b"ab")
    assert frames.next_frame() is None
    frames.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="inside a frame"):
        frames.next_frame()
    with pytest.raises(LocalProtocolError):
        frames.frame(b"x" * 17)
    partial = LengthPrefixedFrames()
    partial.receive_data(b"\x00\x00")
    partial.receive_data(b"")
    with pytest.raises(RemoteProtocolError, match="frame length"):
        partial.next_frame()


def test_error_pair_and_need_data():
    assert issubclass(LocalProtocolError, ProtocolError)
    assert issubclass(RemoteProtocolError, ProtocolError)
    assert not issubclass(LocalProtocolError, RemoteProtocolError)
    assert NeedData() is NEED_DATA and repr(NEED_DATA) == "NEED_DATA"
