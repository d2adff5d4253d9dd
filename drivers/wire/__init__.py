"""Sans-I/O protocol codecs, one module per database, shared by the driver and the mock.

Nothing in this package opens a socket, starts a thread or sleeps (design.md dependency
rules); the driver's socket loop and the mock's asyncio stream are thin loops around it.

Codec shape (design.md "Codec shape"; after websockets and h11):

1. **One object per protocol side.** A framed binary protocol has one codec
   class built with ``side=Side.CLIENT`` or ``Side.SERVER`` (:class:`base.Codec`): it is fed
   bytes (``receive_data``), yields typed events (``next_event`` -> an :class:`base.Event`
   subclass or :data:`base.NEED_DATA`), and turns typed requests / replies back into bytes
   (``send``). Where a library frames the stream (websockets, or HTTP through aiohttp /
   urllib3), the codec is fed whole messages instead, and what is left is the
   message layer: shapes, field names, value tables, error shapes. The same object serves
   the driver and the mock; per-connection state (handshake, protocol version, request ids)
   lives on it, never at module level.
2. **Errors in pairs** (:mod:`.base`): :class:`base.LocalProtocolError`, our side's fault
   (nothing was sent), and :class:`base.RemoteProtocolError`, the peer's fault (on the
   server side it carries the protocol's own error answer, such as an error code). Each
   codec subclasses them with its own names (say ``EncodeError`` local, ``RequestError`` /
   ``ResponseError`` remote); each driver maps them to PEP 249 classes in one table, each
   mock to its database's error answer.
3. **Values in both directions live in the codec**, one table per type family (temporal,
   floating point, exact numeric, time with time zone, ...): for each message direction
   the sender's encoder and the receiver's decoder sit side by side (request parameters
   written by ``encode_param`` on the client and read by ``decode_param`` on the server;
   result values written by ``encode_value`` and read by ``value_decoder``, say), so
   driver and mock cannot drift apart and
   round-trip tests cover both. A mock keeps only its engine's side (DuckDB values, casts,
   SQL literal text); the engine knows no wire format.
4. **Limits are the codec's**: frame sizes and nesting depths are checked while decoding and
   raise RemoteProtocolError, so a mock answers bad input with the protocol's own error.
5. Names follow each protocol's documents (op codes, message and field names, status
   codes); docstrings give shapes, units, errors and the protocol section
   (``protocols/<db>.md``).
"""
