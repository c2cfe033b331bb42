#!/usr/bin/python3
"""A scripted SMTP server for the transport's failure tests: it answers each
command as told, or never answers it.

Binds 127.0.0.1 port 0, prints "READY <port>", and appends to --log one line
per event: "CONNECT", each command as received (AUTH arguments left out),
"MESSAGE" after a message's final dot. Runs until stdin closes or it is
killed.

  --reply VERB=TEXT  answer VERB with TEXT (\\n separates lines of a
                     multi-line reply). VERBs: GREETING, EHLO, MAIL, RCPT,
                     DATA, END (the end of the message data), RSET, STARTTLS,
                     AUTH, QUIT.
  --hang VERB        never answer VERB (GREETING: accept and say nothing).
  --ehlo-extra LINE  an extension line in the EHLO reply (STARTTLS, AUTH ...).
"""
import argparse
import socket
import sys
import threading

DEFAULTS = {
    "GREETING": "220 scripted ESMTP",
    "MAIL": "250 2.1.0 OK",
    "RCPT": "250 2.1.5 OK",
    "DATA": "354 End data with <CR><LF>.<CR><LF>",
    "END": "250 2.0.0 queued",
    "RSET": "250 2.0.0 OK",
    "NOOP": "250 2.0.0 OK",
    "QUIT": "221 2.0.0 Bye",
    "STARTTLS": "454 4.7.0 TLS not available",
    "AUTH": "535 5.7.8 Authentication credentials invalid",
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--reply", action="append", default=[])
    p.add_argument("--hang", action="append", default=[])
    p.add_argument("--ehlo-extra", action="append", default=[])
    a = p.parse_args()
    replies = dict(DEFAULTS)
    for r in a.reply:
        verb, text = r.split("=", 1)
        replies[verb] = text.replace("\\n", "\r\n")
    ehlo_lines = ["scripted"] + a.ehlo_extra
    replies.setdefault("EHLO", "\r\n".join(
        ("250-" if i + 1 < len(ehlo_lines) else "250 ") + l for i, l in enumerate(ehlo_lines)))
    log_lock = threading.Lock()

    def log(line):
        with log_lock, open(a.log, "a") as f:
            f.write(line + "\n")

    def serve(conn):
        f = conn.makefile("rb")

        def answer(verb):
            if verb in a.hang:
                # Say nothing; read until the client gives up.
                while f.readline():
                    pass
                return False
            conn.sendall((replies.get(verb, "502 5.5.2 Command not recognized") + "\r\n").encode())
            return True

        try:
            log("CONNECT")
            if not answer("GREETING"):
                return
            while True:
                line = f.readline()
                if not line:
                    return
                text = line.decode("latin-1").rstrip("\r\n")
                verb = text.split(" ", 1)[0].split(":", 1)[0].upper()
                log("AUTH" if verb == "AUTH" else text)
                if not answer(verb):
                    return
                if verb == "DATA" and replies["DATA"].startswith("354"):
                    while True:
                        body = f.readline()
                        if not body or body in (b".\r\n", b".\n"):
                            break
                    log("MESSAGE")
                    if not answer("END"):
                        return
                if verb == "QUIT":
                    return
        except OSError:
            pass
        finally:
            conn.close()

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def accept():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    print("READY %d" % server.getsockname()[1], flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
