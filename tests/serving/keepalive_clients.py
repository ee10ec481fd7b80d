"""Keep-alive clients as SDKs are: each with one `http.client` connection
(what `requests.Session` and most SDKs reuse), sending its requests one
after the other on it. Prints, as JSON, how many answers had each status,
how many said `Connection: close`, and every client-side failure (a reset,
a broken pipe, a dropped connection) by its message.

    keepalive_clients.py PORT PATH BODY [--clients N] [--requests N]
        [--header NAME:VALUE]...
"""

import argparse
import collections
import http.client
import json
import threading


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("body")
    parser.add_argument("--clients", type=int, default=128)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    headers = {"Content-Type": "application/json"}
    for h in args.header:
        name, _, value = h.partition(":")
        headers[name] = value
    body = args.body.encode()
    statuses = collections.Counter()
    errors = collections.Counter()
    closes = collections.Counter()
    lock = threading.Lock()
    start = threading.Barrier(args.clients)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        start.wait()
        for _ in range(args.requests):
            try:
                conn.request("POST", args.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    statuses[response.status] += 1
                    if (response.getheader("Connection") or "").lower() == "close":
                        closes[response.status] += 1
            except Exception as e:  # what a client sees as an outage
                with lock:
                    errors[f"{type(e).__name__}: {e}"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"statuses": statuses, "closes": closes, "errors": errors}))


if __name__ == "__main__":
    main()
