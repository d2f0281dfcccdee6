"""Parses IMAP response data (parenthesised lists, quoted strings, NIL,
atoms, literals) into Python lists, strings and None, for the tests."""


def parse(data):
    """data: bytes of a response, with literals inline ({n}\\r\\n + n bytes)."""
    pos = 0

    def item():
        nonlocal pos
        while data[pos:pos + 1] == b" ":
            pos += 1
        c = data[pos:pos + 1]
        if c == b"(":
            pos += 1
            out = []
            while True:
                while data[pos:pos + 1] == b" ":
                    pos += 1
                if data[pos:pos + 1] == b")":
                    pos += 1
                    return out
                out.append(item())
        if c == b'"':
            pos += 1
            s = bytearray()
            while data[pos:pos + 1] != b'"':
                if data[pos:pos + 1] == b"\\":
                    pos += 1
                s += data[pos:pos + 1]
                pos += 1
            pos += 1
            return bytes(s).decode("latin-1")
        if c == b"{":
            end = data.index(b"}", pos)
            n = int(data[pos + 1:end])
            pos = end + 3
            s = data[pos:pos + n]
            pos += n
            return s.decode("latin-1")
        start = pos
        while pos < len(data) and data[pos:pos + 1] not in (b" ", b")", b"("):
            if data[pos:pos + 1] == b"[":
                pos = data.index(b"]", pos)
            pos += 1
        tok = data[start:pos].decode("latin-1")
        return None if tok.upper() == "NIL" else tok

    out = []
    while pos < len(data):
        while data[pos:pos + 1] == b" ":
            pos += 1
        if pos >= len(data):
            break
        out.append(item())
    return out


def fetch_items(resp):
    """imaplib's FETCH data for one message (bytes or list of tuples) into a
    dict of item name -> value."""
    if isinstance(resp, tuple):
        resp = [resp]
    raw = b""
    for r in resp:
        if isinstance(r, tuple):
            raw += r[0] + r[1]
        else:
            raw += r
    # "1 (UID 1 FLAGS (...) ...)" with literals as imaplib split them:
    # imaplib removes the literal length marker; put it back
    return raw
