"""systemd unit files read and run the way systemd runs them, for a test
on a machine where systemd is not PID 1 (a container, a build host): the
socket units of conf/systemd bind their ListenStream addresses as systemd
does, and for each connection (Accept=yes, the inetd model) the service
template's ExecStart runs with the connection on fd 0 and 1, as its
User= and Group=, in the environment systemd would give it (its own base
variables, Environment=, EnvironmentFile=).

It understands only the keys the posthorn units use; any other key in a
[Socket] or [Service] section raises UnitError, so that a unit that gains
a key systemd would act on cannot pass the test untried: teach it here.

    python3 sdunits.py serve UNITDIR LOGDIR   binds every UNITDIR/*.socket,
        prints "ready" once all are bound, then serves until SIGTERM (which
        also ends its sessions); each session's stderr (the journal under
        systemd) goes to LOGDIR/NAME.log.
"""
import grp
import os
import pwd
import select
import shlex
import signal
import socket
import sys

# Keys that change nothing about what runs, or that only a real systemd
# can act on (restart policy, stop, ordering); they are accepted and ignored.
IGNORED = {
    "Unit": None,      # the whole section: Description, Documentation, PartOf, After, ...
    "Install": None,
    "Service": {"SyslogIdentifier", "StandardError", "KillMode", "TimeoutStopSec", "Restart", "RestartSec",
                "ExecReload"},
}
HANDLED = {
    "Socket": {"ListenStream", "Accept", "ReusePort", "MaxConnections", "Backlog"},
    "Service": {"ExecStart", "User", "Group", "StandardInput", "StandardOutput", "Environment", "EnvironmentFile"},
}
# systemd's PATH for services (systemd.exec(5), "Environment variables in
# spawned processes").
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class UnitError(ValueError):
    pass


class Unit:
    """One unit file: self.name, and self.items[section] = [(key, value)]
    in file order (a key may repeat)."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.items = {}
        section = None
        with open(path) as f:
            lines = f.read().split("\n")
        i = 0
        while i < len(lines):
            line = lines[i].strip()
            i += 1
            while line.endswith("\\") and i < len(lines):   # continuation
                line = line[:-1] + " " + lines[i].strip()
                i += 1
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                self.items.setdefault(section, [])
                continue
            if section is None or "=" not in line:
                raise UnitError("%s: not a unit file line: %r" % (path, line))
            key, value = line.split("=", 1)
            self.items[section].append((key.strip(), value.strip()))
        for section, pairs in self.items.items():
            if IGNORED.get(section, ()) is None:
                continue
            for key, _ in pairs:
                if key not in HANDLED.get(section, set()) and key not in IGNORED.get(section, set()):
                    raise UnitError("%s: [%s] %s is not emulated by tests/lib/sdunits.py" % (path, section, key))

    def all(self, section, key):
        """Every value of key, an empty assignment resetting the list."""
        out = []
        for k, v in self.items.get(section, []):
            if k == key:
                out = [] if v == "" else out + [v]
        return out

    def get(self, section, key, default=None):
        values = self.all(section, key)
        return values[-1] if values else default


def exec_argv(unit):
    """ExecStart as an argv.  Prefixes (-@:+!), specifiers (%) and $
    expansion are not emulated: they raise."""
    line = unit.get("Service", "ExecStart")
    if not line:
        raise UnitError("%s: no ExecStart" % unit.name)
    if line[0] in "-@:+!" or "%" in line or "$" in line:
        raise UnitError("%s: ExecStart %r uses what is not emulated" % (unit.name, line))
    argv = shlex.split(line)
    if not os.path.isabs(argv[0]):
        raise UnitError("%s: ExecStart needs an absolute path" % unit.name)
    return argv


def _assignments(text):
    out = {}
    for word in shlex.split(text):
        if "=" not in word:
            raise UnitError("not an assignment: %r" % word)
        k, v = word.split("=", 1)
        out[k] = v
    return out


def _env_file(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if "=" not in line:
                raise UnitError("%s: not VAR=value: %r" % (path, line))
            k, v = line.split("=", 1)
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                v = v[1:-1]
            out[k.strip()] = v
    return out


def environment(unit, remote=None):
    """The environment systemd gives the service: PATH; with User=, USER,
    LOGNAME, HOME and SHELL; for a connection (Accept=yes), REMOTE_ADDR and
    REMOTE_PORT; then Environment=, then EnvironmentFile= (read now, as
    systemd reads it at each start: for Accept=yes, at each connection)."""
    env = {"PATH": BASE_PATH}
    user = unit.get("Service", "User")
    if user:
        pw = pwd.getpwnam(user)
        env.update(USER=pw.pw_name, LOGNAME=pw.pw_name, HOME=pw.pw_dir, SHELL=pw.pw_shell)
    if remote:
        env.update(REMOTE_ADDR=remote[0], REMOTE_PORT=str(remote[1]))
    # The test suite's sanitizer pass (POSTHORN_SANITIZER): its options go
    # with the programs, as they would in a unit's drop-in.
    if os.environ.get("POSTHORN_SANITIZER"):
        env.update((k, v) for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"))
    for text in unit.all("Service", "Environment"):
        env.update(_assignments(text))
    for path in unit.all("Service", "EnvironmentFile"):
        optional = path.startswith("-")
        path = path.lstrip("-")
        if optional and not os.path.exists(path):
            continue
        env.update(_env_file(path))
    return env


def become(unit):
    """In a child about to exec: the credentials of User= and Group=
    (supplementary groups as initgroups gives them, as systemd does)."""
    user, group = unit.get("Service", "User"), unit.get("Service", "Group")
    if not user and not group:
        return
    pw = pwd.getpwnam(user) if user else None
    gid = grp.getgrnam(group).gr_gid if group else pw.pw_gid
    if pw:
        os.initgroups(pw.pw_name, gid)
    else:
        os.setgroups([])
    os.setgid(gid)
    if pw:
        os.setuid(pw.pw_uid)


def listen(unit):
    """The listening sockets of a .socket unit, bound as systemd binds
    ListenStream: a bare port is [::]:port taking IPv4 too (BindIPv6Only=
    default), "a.b.c.d:port" IPv4, "[addr]:port" IPv6; SO_REUSEADDR always,
    SO_REUSEPORT with ReusePort=yes; listen() with Backlog=."""
    if unit.get("Socket", "Accept") != "yes":
        raise UnitError("%s: only Accept=yes is emulated" % unit.name)
    reuseport = unit.get("Socket", "ReusePort", "no") == "yes"
    backlog = int(unit.get("Socket", "Backlog", "4096"))
    socks = []
    for value in unit.all("Socket", "ListenStream"):
        if value.isdigit():
            fam, addr, port = socket.AF_INET6, "::", int(value)
        elif value.startswith("["):
            host, _, port = value[1:].partition("]:")
            fam, addr, port = socket.AF_INET6, host, int(port)
        else:
            host, _, port = value.rpartition(":")
            fam, addr, port = socket.AF_INET, host, int(port)
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuseport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if fam == socket.AF_INET6 and addr == "::":
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((addr, port))
        s.listen(backlog)
        socks.append(s)
    return socks


def service_of(unitdir, socket_name):
    """The template a .socket with Accept=yes starts: NAME@.service."""
    return Unit(os.path.join(unitdir, socket_name[:-len(".socket")] + "@.service"))


def spawn(unit, logpath, conn=None, remote=None):
    """Starts the service: fd 0 and 1 the connection (StandardInput=socket,
    StandardOutput=socket) or /dev/null, fd 2 appended to logpath.
    Returns the child's pid."""
    argv = exec_argv(unit)
    if conn is not None and (unit.get("Service", "StandardInput") != "socket" or
                             unit.get("Service", "StandardOutput") != "socket"):
        raise UnitError("%s: a connection service needs StandardInput=socket and StandardOutput=socket" % unit.name)
    env = environment(unit, remote)
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        io = conn.fileno() if conn is not None else os.open(os.devnull, os.O_RDWR)
        log = os.open(logpath, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(io, 0)
        os.dup2(io, 1)
        os.dup2(log, 2)
        os.chdir("/")
        become(unit)
        os.execve(argv[0], argv, env)
    except BaseException as e:
        os.write(2, ("sdunits: %s: %r\n" % (unit.name, e)).encode())
    os._exit(127)


def serve(unitdir, logdir):
    listeners = {}   # listening socket -> (socket unit name, service unit)
    for name in sorted(os.listdir(unitdir)):
        if name.endswith(".socket"):
            unit = Unit(os.path.join(unitdir, name))
            svc = service_of(unitdir, name)
            exec_argv(svc)
            limit = int(unit.get("Socket", "MaxConnections", "64"))
            for s in listen(unit):
                listeners[s] = (name, svc, limit)
    children = {}    # pid -> socket unit name
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("ready", flush=True)
    while not stop:
        try:
            ready, _, _ = select.select(list(listeners), [], [], 0.2)
        except InterruptedError:
            continue
        for s in ready:
            name, svc, limit = listeners[s]
            try:
                conn, remote = s.accept()
            except OSError:
                continue
            if sum(1 for n in children.values() if n == name) >= limit:
                conn.close()     # MaxConnections: systemd refuses the connection
                continue
            children[spawn(svc, os.path.join(logdir, svc.name.replace("@.service", "") + ".log"), conn,
                           remote)] = name
            conn.close()
        while children:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if not pid:
                break
            children.pop(pid, None)
    for pid in children:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for pid in children:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "serve":
        sys.exit("usage: sdunits.py serve UNITDIR LOGDIR")
    serve(sys.argv[2], sys.argv[3])
