"""A scripted SMTP peer for client tests: listens on 127.0.0.1 (a free port,
or one given), answers one connection after another in a thread, and can
misbehave on purpose.  What it received is kept in .sessions (a list of
dicts: commands, mail, rcpts, data)."""
import socket
import threading


class FakeSMTP:
    def __init__(self, greeting="220 fake ESMTP", ehlo=("PIPELINING", "SIZE 10000000", "8BITMIME"),
                 rcpt=None, drop_in_data=False, silent=False, starttls_reply=None, data_reply="250 2.0.0 queued",
                 multiline=False, mail_reply="250 2.1.0 ok", host="127.0.0.1", port=0):
        self.greeting = greeting
        self.ehlo = list(ehlo)
        self.rcpt = rcpt or {}          # address -> reply line; others get 250
        self.drop_in_data = drop_in_data
        self.silent = silent
        self.starttls_reply = starttls_reply
        self.data_reply = data_reply
        self.multiline = multiline
        self.mail_reply = mail_reply
        self.sessions = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def close(self):
        self.stop = True
        try:
            self.sock.close()
        except OSError:
            pass

    def serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.settimeout(20)
            try:
                self.session(c)
            except (OSError, ValueError):
                pass
            finally:
                try:
                    c.close()
                except OSError:
                    pass

    def session(self, c):
        s = {"commands": [], "mail": None, "rcpts": [], "data": None}
        self.sessions.append(s)
        f = c.makefile("rb")
        if self.silent:
            f.readline()   # wait until the client gives up
            return
        if self.multiline:
            c.sendall(b"220-fake.test first line\r\n220-second line\r\n220 ready\r\n")
        else:
            c.sendall(self.greeting.encode() + b"\r\n")
        if not self.greeting.startswith("2"):
            f.readline()
            return
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            s["commands"].append(cmd)
            verb = cmd.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                exts = self.ehlo + (["STARTTLS"] if self.starttls_reply else [])
                if verb == "HELO" or not exts:
                    c.sendall(b"250 fake.test\r\n")
                else:
                    out = "250-fake.test hello\r\n"
                    for i, e in enumerate(exts):
                        out += "250%s%s\r\n" % (" " if i == len(exts) - 1 else "-", e)
                    c.sendall(out.encode())
            elif verb == "STARTTLS":
                c.sendall(self.starttls_reply.encode() + b"\r\n")
            elif verb == "MAIL":
                s["mail"] = cmd
                c.sendall(self.mail_reply.encode() + b"\r\n")
            elif verb == "RCPT" and not self.mail_reply.startswith("2"):
                c.sendall(b"503 5.5.1 MAIL first\r\n")
            elif verb == "RCPT":
                addr = cmd[cmd.index("<") + 1:cmd.index(">")]
                reply = self.rcpt.get(addr, "250 2.1.5 ok")
                if reply.startswith("2"):
                    s["rcpts"].append(addr)
                if self.multiline and reply.startswith("5"):
                    code = reply[:3]
                    reply = "%s-first line of the refusal\r\n%s" % (code, reply)
                c.sendall(reply.encode() + b"\r\n")
            elif verb == "DATA":
                if not s["rcpts"]:
                    c.sendall(b"554 5.5.1 no valid recipients\r\n")
                    continue
                c.sendall(b"354 go ahead\r\n")
                data = b""
                while True:
                    l = f.readline()
                    if not l:
                        return
                    if self.drop_in_data and len(data) > 100:
                        return
                    if l == b".\r\n":
                        break
                    data += l
                s["data"] = data
                c.sendall(self.data_reply.encode() + b"\r\n")
            elif verb == "QUIT":
                c.sendall(b"221 bye\r\n")
                return
            elif verb == "RSET" or verb == "NOOP":
                c.sendall(b"250 ok\r\n")
            else:
                c.sendall(b"502 5.5.2 unknown\r\n")
