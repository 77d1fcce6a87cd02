#!/usr/bin/env python3
# dnsd.py - a tiny authoritative DNS responder for the tests: A/AAAA from a zone file, with per-type delays and failures.
"""
usage: dnsd.py --listen ADDR --port PORT [--port-file F] --zone FILE
                [--dns64 PREFIX/LEN]... [-v]

Zone file, one record set per line ('#' starts a comment):

    name.test A 198.51.100.2 198.51.100.3
    name.test AAAA fd00::2
    name.test AAAA delay=400      answer AAAA after 400 ms
    nodata.test AAAA nodata       NOERROR, no answer
    gone.test ANY nxdomain        NXDOMAIN
    broken.test AAAA servfail     SERVFAIL
    shy.test A refused            REFUSED
    silent.test AAAA drop         never answer

Lines for the same name and type add up. ANY stands for every type that has
no line of its own. Names are case-insensitive; an unknown name gets
NXDOMAIN, a known name asked for a type it lacks gets NODATA. Every query
is answered on its own, so a delayed AAAA never holds back the A answer.
UDP answers over 512 bytes are truncated (TC) and the same port serves TCP.

--dns64 PREFIX/LEN makes it a DNS64 (RFC 6147) with that NAT64 prefix, of
a length RFC 6052 allows (32, 40, 48, 56, 64 or 96; bits 64-71 zero). An
AAAA question for a name that has A addresses but no AAAA address (no AAAA
line, or AAAA nodata) is answered with the A addresses embedded in the
prefix (RFC 6052 section 2.2), after the A line's delay plus the AAAA
line's. Given more than once, every address is synthesised with each
prefix in turn (RFC 7050 section 3). A name with AAAA addresses, or whose
AAAA line is another action, answers as without --dns64. The zone also
gets ipv4only.arpa A 192.0.0.170 192.0.0.171 (RFC 7050 section 2.2), hence
their synthesis for AAAA, unless it has an A or ANY line of that name:

    ipv4only.arpa AAAA drop       a DNS64 whose discovery query is lost
    ipv4only.arpa ANY nxdomain    no DNS64 for ipv4only.arpa (no NAT64)

Without --dns64, ipv4only.arpa is an unknown name (NXDOMAIN) like any other.
"""

import argparse
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

TYPES = {"A": 1, "AAAA": 28, "ANY": 255}
ACTIONS = {"nodata", "nxdomain", "servfail", "refused", "drop"}
RCODE = {"ok": 0, "formerr": 1, "servfail": 2, "nxdomain": 3, "refused": 5}
START = time.monotonic()
# RFC 7050 section 2.2: the well-known IPv4-only name and its addresses.
WKN = "ipv4only.arpa"
WKA = ("192.0.0.170", "192.0.0.171")


class ZoneError(Exception):
    pass


def log(msg):
    sys.stderr.write("dnsd: +%.3fs %s\n" % (time.monotonic() - START, msg))
    sys.stderr.flush()


def load_zone(path):
    """{name: {qtype: {"addrs": [bytes], "delay": ms, "action": str|None}}}"""
    zone = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) < 3:
                raise ZoneError("%s:%d: want NAME TYPE VALUE..." % (path, lineno))
            name, rtype, values = words[0].lower().rstrip("."), words[1].upper(), words[2:]
            if rtype not in TYPES:
                raise ZoneError("%s:%d: type %s: use A, AAAA or ANY" % (path, lineno, rtype))
            rs = zone.setdefault(name, {}).setdefault(
                TYPES[rtype], {"addrs": [], "delay": 0, "action": None})
            for v in values:
                if v.startswith("delay="):
                    try:
                        rs["delay"] = int(v[6:])
                    except ValueError:
                        raise ZoneError("%s:%d: %s: give delay=MS" % (path, lineno, v))
                elif v in ACTIONS:
                    rs["action"] = v
                elif rtype == "A":
                    try:
                        rs["addrs"].append(ipaddress.IPv4Address(v).packed)
                    except ValueError:
                        raise ZoneError("%s:%d: %s is not an IPv4 address" % (path, lineno, v))
                elif rtype == "AAAA":
                    try:
                        rs["addrs"].append(ipaddress.IPv6Address(v).packed)
                    except ValueError:
                        raise ZoneError("%s:%d: %s is not an IPv6 address" % (path, lineno, v))
                else:
                    raise ZoneError("%s:%d: ANY takes only an action or delay=MS" % (path, lineno))
    return zone


def dns64_prefix(text):
    """The network of --dns64 PREFIX/LEN, or ValueError saying why not."""
    try:
        net = ipaddress.IPv6Network(text)
    except ValueError as e:
        raise ValueError("--dns64 %s: %s" % (text, e))
    if net.prefixlen not in (32, 40, 48, 56, 64, 96):
        raise ValueError("--dns64 %s: RFC 6052 allows /32, /40, /48, /56, /64 or /96" % text)
    if net.network_address.packed[8] != 0:
        raise ValueError("--dns64 %s: bits 64-71 must be zero (RFC 6052 section 2.2)" % text)
    return net


def synthesise(net, v4):
    """RFC 6052 section 2.2: the 4 bytes v4 embedded in prefix net, skipping
    octet 8 (bits 64-71, u), the suffix zero."""
    n = net.prefixlen // 8
    octets = bytearray(net.network_address.packed[:n])
    for b in v4:
        if len(octets) == 8:
            octets.append(0)
        octets.append(b)
    return bytes(octets) + bytes(16 - len(octets))


def add_wkn(zone):
    """RFC 7050 section 2.2: a DNS64 answers ipv4only.arpa like any name with
    A records 192.0.0.170 and .171; a zone's own A or ANY line wins."""
    recs = zone.setdefault(WKN, {})
    if 1 in recs or 255 in recs:
        return
    recs[1] = {"addrs": [ipaddress.IPv4Address(a).packed for a in WKA],
               "delay": 0, "action": None}


def parse_query(data):
    """(id, flags, qname, qtype, qclass, question bytes) or None."""
    if len(data) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", data[:6])
    if flags & 0x8000 or qd != 1:
        return None
    labels, i = [], 12
    while True:
        if i >= len(data):
            return None
        n = data[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0 or i + 1 + n > len(data):
            return None
        labels.append(data[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(data):
        return None
    qtype, qclass = struct.unpack("!HH", data[i:i + 4])
    return qid, flags, ".".join(labels).lower(), qtype, qclass, data[12:i + 4]


def decide(zone, qname, qtype, dns64=()):
    """(action, addrs, delay_ms): action is ok, nodata, nxdomain, ...; with
    dns64 prefixes, an AAAA NODATA becomes the synthesis of the A answer
    (RFC 6147 section 5.1.6), held as long as both questions would be."""
    action, addrs, delay = decide_plain(zone, qname, qtype)
    if qtype != 28 or not dns64 or action != "nodata":
        return action, addrs, delay
    a_action, a_addrs, a_delay = decide_plain(zone, qname, 1)
    if a_action != "ok":
        return action, addrs, delay
    return "ok", [synthesise(net, a) for net in dns64 for a in a_addrs], delay + a_delay


def decide_plain(zone, qname, qtype):
    recs = zone.get(qname)
    if recs is None:
        return "nxdomain", [], 0
    rs = recs.get(qtype) or recs.get(255)
    if rs is None:
        return "nodata", [], 0
    if rs["action"] is not None:
        return rs["action"], [], rs["delay"]
    if qtype not in (1, 28) or not rs["addrs"]:
        return "nodata", [], rs["delay"]
    return "ok", rs["addrs"], rs["delay"]


def build_answer(q, action, addrs, limit):
    qid, flags, qname, qtype, qclass, question = q
    rcode = RCODE.get(action, 0)
    # QR, AA, and the client's RD echoed (RFC 1035 §4.1.1)
    out_flags = 0x8000 | 0x0400 | (flags & 0x0100) | rcode
    rrs = b""
    if action == "ok":
        for a in addrs:
            rrs += struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(a)) + a
    msg = struct.pack("!HHHHHH", qid, out_flags, 1, len(addrs) if rrs else 0, 0, 0) + question + rrs
    if limit is not None and len(msg) > limit:
        # RFC 1035 §4.2.1: truncated over UDP; the client retries over TCP
        msg = struct.pack("!HHHHHH", qid, out_flags | 0x0200, 1, 0, 0, 0) + question
    return msg


class Server:
    def __init__(self, zone, verbose, dns64=()):
        self.zone = zone
        self.dns64 = dns64
        self.verbose = verbose
        self.stop = threading.Event()

    def handle(self, data, peer, send, limit):
        q = parse_query(data)
        if q is None:
            if self.verbose:
                log("malformed query from %s ignored" % (peer,))
            return
        action, addrs, delay = decide(self.zone, q[2], q[3], self.dns64)
        if self.verbose:
            tname = {v: k for k, v in TYPES.items()}.get(q[3], str(q[3]))
            log("query %s %s from %s:%d -> %s%s" % (
                q[2] or ".", tname, peer[0], peer[1],
                action if action != "ok" else " ".join(
                    socket.inet_ntop(socket.AF_INET if len(a) == 4 else socket.AF_INET6, a)
                    for a in addrs),
                " after %d ms" % delay if delay else ""))
        if action == "drop":
            return
        msg = build_answer(q, action, addrs, limit)
        if delay > 0:
            t = threading.Timer(delay / 1000.0, self._send, (send, msg))
            t.daemon = True
            t.start()
        else:
            self._send(send, msg)

    def _send(self, send, msg):
        if self.stop.is_set():
            return
        try:
            send(msg)
        except OSError:
            pass

    def tcp_conn(self, conn, peer):
        conn.settimeout(10)
        lock = threading.Lock()

        def send(msg):
            with lock:
                conn.sendall(struct.pack("!H", len(msg)) + msg)

        try:
            while not self.stop.is_set():
                hdr = conn.recv(2, socket.MSG_WAITALL)
                if len(hdr) < 2:
                    break
                n = struct.unpack("!H", hdr)[0]
                data = conn.recv(n, socket.MSG_WAITALL)
                if len(data) < n:
                    break
                self.handle(data, peer, send, None)
        except OSError:
            pass
        finally:
            # a delayed answer still due on this connection is lost with
            # it: the client closed first
            conn.close()


def main():
    ap = argparse.ArgumentParser(description="tiny authoritative DNS responder for tests")
    ap.add_argument("--listen", default="127.0.0.1", help="address (loopback for tests)")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--zone", required=True)
    ap.add_argument("--dns64", action="append", default=[], metavar="PREFIX/LEN",
                    help="synthesise AAAA from A with this NAT64 prefix (RFC 6147)")
    ap.add_argument("-v", action="store_true", help="log every query on stderr")
    args = ap.parse_args()

    try:
        zone = load_zone(args.zone)
        dns64 = [dns64_prefix(p) for p in args.dns64]
        if dns64:
            add_wkn(zone)
        ip = ipaddress.ip_address(args.listen.split("%")[0])
    except (OSError, ZoneError, ValueError) as e:
        sys.stderr.write("dnsd: %s\n" % e)
        return 64
    if not 0 <= args.port <= 65535:
        sys.stderr.write("dnsd: port %d out of range 0..65535\n" % args.port)
        return 64
    fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        addr = socket.getaddrinfo(args.listen, args.port, fam, socket.SOCK_DGRAM,
                                  0, socket.AI_NUMERICHOST)[0][4]
        udp = socket.socket(fam, socket.SOCK_DGRAM)
        udp.bind(addr)
        port = udp.getsockname()[1]
        tcp = socket.socket(fam, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(addr[:1] + (port,) + addr[2:])
            tcp.listen(16)
        except OSError as e:
            sys.stderr.write("dnsd: TCP on port %d unavailable (%s): UDP only\n" % (port, e))
            tcp.close()
            tcp = None
    except OSError as e:
        sys.stderr.write("dnsd: cannot listen on %s port %d: %s\n" % (args.listen, args.port, e))
        return 71

    srv = Server(zone, args.v, dns64)

    def on_term(signo, frame):
        srv.stop.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    shown = ("[%s]:%d" if fam == socket.AF_INET6 else "%s:%d") % (args.listen, port)
    sys.stderr.write("dnsd: listening on %s\n" % shown)
    sys.stderr.flush()
    if args.port_file:
        tmp = args.port_file + ".tmp%d" % os.getpid()
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)

    socks = [udp] + ([tcp] if tcp else [])
    while not srv.stop.is_set():
        try:
            ready, _, _ = select.select(socks, [], [], 0.2)
        except InterruptedError:
            continue
        for s in ready:
            try:
                if s is udp:
                    data, peer = udp.recvfrom(65535)
                    srv.handle(data, peer, lambda m, p=peer: udp.sendto(m, p), 512)
                else:
                    conn, peer = tcp.accept()
                    t = threading.Thread(target=srv.tcp_conn, args=(conn, peer), daemon=True)
                    t.start()
            except OSError:
                pass
    for s in socks:
        s.close()
    if args.v:
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
