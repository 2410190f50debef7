// librdkafka (Debian's librdkafka-dev 2.0.2), with its in-process mock cluster for the tests.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
