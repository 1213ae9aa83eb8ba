// json-simdjson.cc - the simdjson (Debian libsimdjson-dev) side of
// json-bench.c: the same eight fields of every line, on demand API.
//   g++ -O2 -o /tmp/json-simdjson bench/json/json-simdjson.cc \
//       $(pkg-config --cflags --libs simdjson)
//   /tmp/json-simdjson /tmp/g.json
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    simdjson::padded_string buf;
    if (simdjson::padded_string::load(argv[1]).get(buf))
        return 1;
    static const char *keys[] = {"time_iso8601",    "remote_addr",
                                 "request",         "status",
                                 "body_bytes_sent", "request_time",
                                 "http_referer",    "http_user_agent"};
    simdjson::ondemand::parser parser;
    double best = 1e9;
    unsigned long long sum = 0, lines = 0;
    for (int rep = 0; rep < 5; rep++) {
        auto t0 = std::chrono::steady_clock::now();
        sum = lines = 0;
        simdjson::ondemand::document_stream docs;
        if (parser.iterate_many(buf).get(docs))
            return 1;
        for (auto doc : docs) {
            simdjson::ondemand::object o;
            if (doc.get_object().get(o))
                continue;
            for (const char *k : keys) {
                simdjson::ondemand::value v;
                if (o[k].get(v))
                    continue;
                std::string_view s;
                uint64_t u;
                if (!v.get_string().get(s))
                    sum += s.size();
                else if (!v.get_uint64().get(u))
                    sum += u;
            }
            lines++;
        }
        double t = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - t0)
                       .count();
        if (t < best)
            best = t;
    }
    std::printf("simdjson   %8.1f ns/line %8.1f MB/s  (best of 5; checksum "
                "%llu)\n",
                best * 1e9 / (double)lines, (double)buf.size() / best / 1e6,
                sum);
    return 0;
}
