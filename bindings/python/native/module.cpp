// loyalty._native: the pybind11 module under the pure-Python `loyalty` package.
//
// It wraps the C++ API (include/loyalty/core/engine.hpp): Engine, Admin and Session with their
// generic `call(op, json)`. Python values are converted to and from nlohmann::json directly (no
// JSON text in between), datetimes included. The GIL is released around every engine call.
// Errors: every loyalty::Error becomes the Python exception class registered for its status by
// `loyalty/_errors.py` (through `_set_error_classes`).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

// clang-format off
#include <datetime.h>
// clang-format on

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loyalty/ai/host_provider.hpp"
#include "loyalty/core/engine.hpp"
#include "loyalty/core/error.hpp"
#include "loyalty/core/time.hpp"

namespace py = pybind11;
using loyalty::json;
using loyalty::Status;
using loyalty::Timestamp;

namespace {

// ---------------------------------------------------------------------------------------------
// Errors

/// Exception classes by status, set once by loyalty/_errors.py. Index: -status (0..13).
constexpr int kStatusCount = 14;
PyObject* g_error_classes[kStatusCount] = {};

/// Raises the registered Python exception for a loyalty::Error (the GIL must be held).
[[noreturn]] void raise_error(Status status, const std::string& message, const std::string& field, const json& detail);

/// Carries a failed conversion of a Python input out of the recursion, collecting the path.
struct ConvertError {
  ConvertError(Status s, std::string m, json d = json::object())
      : status(s), message(std::move(m)), detail(std::move(d)) {}
  Status status;
  std::string message;
  std::vector<std::string> path;  // innermost first
  json detail;
};

std::string join_path(const std::vector<std::string>& rev) {
  std::string out;
  for (auto it = rev.rbegin(); it != rev.rend(); ++it) {
    if (!it->empty() && (*it)[0] == '[') {
      out += *it;
    } else {
      if (!out.empty()) out += '.';
      out += *it;
    }
  }
  return out;
}

[[noreturn]] void raise_convert(ConvertError& e) {
  const std::string field = join_path(e.path);
  if (!field.empty()) e.detail["field"] = field;
  raise_error(e.status, e.message, field, e.detail);
}

// ---------------------------------------------------------------------------------------------
// Time

Timestamp days_from_civil(int64_t y, int64_t m, int64_t d) {
  loyalty::CivilDate c{static_cast<int32_t>(y), static_cast<uint32_t>(m), static_cast<uint32_t>(d)};
  return loyalty::timestamp_from_civil(c) / loyalty::kMillisPerDay;
}

/// An aware datetime to UTC milliseconds (floored); ConvertError for a naive one.
Timestamp datetime_to_ms(PyObject* o) {
  py::object offset = py::reinterpret_steal<py::object>(PyObject_CallMethod(o, "utcoffset", nullptr));
  if (!offset) throw py::error_already_set();
  if (offset.is_none())
    throw ConvertError{Status::invalid, "naive datetime: give a timezone-aware datetime (e.g. tzinfo=timezone.utc)"};
  const int64_t days = days_from_civil(PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o), PyDateTime_GET_DAY(o));
  const int64_t us = (((days * 24 + PyDateTime_DATE_GET_HOUR(o)) * 60 + PyDateTime_DATE_GET_MINUTE(o)) * 60 +
                      PyDateTime_DATE_GET_SECOND(o)) *
                         1'000'000 +
                     PyDateTime_DATE_GET_MICROSECOND(o);
  PyObject* off = offset.ptr();
  const int64_t off_us =
      (static_cast<int64_t>(PyDateTime_DELTA_GET_DAYS(off)) * 86'400 + PyDateTime_DELTA_GET_SECONDS(off)) * 1'000'000 +
      PyDateTime_DELTA_GET_MICROSECONDS(off);
  const int64_t utc_us = us - off_us;
  return utc_us >= 0 ? utc_us / 1000 : -((-utc_us + 999) / 1000);
}

/// UTC milliseconds to an aware datetime (tzinfo=timezone.utc).
py::object ms_to_datetime(Timestamp t) {
  const loyalty::CivilDate c = loyalty::civil_from_timestamp(t);
  Timestamp in_day = t % loyalty::kMillisPerDay;
  if (in_day < 0) in_day += loyalty::kMillisPerDay;
  const int ms = static_cast<int>(in_day % 1000);
  const int s = static_cast<int>(in_day / 1000 % 60);
  const int mi = static_cast<int>(in_day / 60'000 % 60);
  const int h = static_cast<int>(in_day / 3'600'000);
  PyObject* dt =
      PyDateTimeAPI->DateTime_FromDateAndTime(c.year, static_cast<int>(c.month), static_cast<int>(c.day), h, mi, s,
                                              ms * 1000, PyDateTime_TimeZone_UTC, PyDateTimeAPI->DateTimeType);
  if (!dt) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(dt);
}

bool digits(std::string_view s, size_t from, size_t n) {
  for (size_t i = from; i < from + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

/// True for exactly the engine's output format, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
bool engine_time_format(std::string_view s) {
  return s.size() == 24 && digits(s, 0, 4) && s[4] == '-' && digits(s, 5, 2) && s[7] == '-' && digits(s, 8, 2) &&
         s[10] == 'T' && digits(s, 11, 2) && s[13] == ':' && digits(s, 14, 2) && s[16] == ':' && digits(s, 17, 2) &&
         s[19] == '.' && digits(s, 20, 3) && s[23] == 'Z';
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// Keys whose engine-formatted string values become datetimes: `at`, `now`, `*_at`, `*_until`.
bool time_key(std::string_view k) { return k == "at" || k == "now" || ends_with(k, "_at") || ends_with(k, "_until"); }

/// A str as UTF-8 with its lone surrogates written as backslash escapes (for messages and fields).
std::string escaped_str(PyObject* o) {
  py::object b = py::reinterpret_steal<py::object>(PyUnicode_AsEncodedString(o, "utf-8", "backslashreplace"));
  if (!b) {
    PyErr_Clear();
    return "?";
  }
  return std::string(PyBytes_AS_STRING(b.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(b.ptr())));
}

// ---------------------------------------------------------------------------------------------
// Arguments
//
// Every str and int argument of the package's functions (engine options, credentials, operation
// names, JSON text, times) is converted by arg_str / arg_int, so a value that cannot be used (a
// lone surrogate, an integer out of range) is a loyalty.InvalidError naming the argument,
// never pybind11's TypeError, an OverflowError or a UnicodeError. A value of the wrong type is a
// TypeError, as in Python generally (tests/python/test_arguments.py walks every entry point).

[[noreturn]] void invalid_arg(const std::string& field, const std::string& message, json detail = json::object()) {
  detail["field"] = field;
  raise_error(Status::invalid, message, field, detail);
}

/// A str argument as UTF-8; InvalidError naming `field` for a lone surrogate.
std::string arg_str(py::handle h, const char* field) {
  if (!PyUnicode_Check(h.ptr()))
    throw py::type_error(std::string(field) + " must be a str, not " + Py_TYPE(h.ptr())->tp_name);
  Py_ssize_t n = 0;
  const char* s = PyUnicode_AsUTF8AndSize(h.ptr(), &n);
  if (!s) {
    PyErr_Clear();
    invalid_arg(field, std::string(field) + " is not valid UTF-8 (it contains a lone surrogate)");
  }
  return std::string(s, static_cast<size_t>(n));
}

/// An int argument (or an object with __index__) in [lo, hi]; InvalidError naming `field` outside.
int64_t arg_int(py::handle h, const char* field, int64_t lo, int64_t hi) {
  py::object num;
  if (PyLong_Check(h.ptr())) {
    num = py::reinterpret_borrow<py::object>(h);
  } else if (!PyFloat_Check(h.ptr()) && PyIndex_Check(h.ptr())) {
    num = py::reinterpret_steal<py::object>(PyNumber_Index(h.ptr()));
    if (!num) throw py::error_already_set();
  } else {
    throw py::type_error(std::string(field) + " must be an int, not " + Py_TYPE(h.ptr())->tp_name);
  }
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(num.ptr(), &overflow);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow != 0 || v < lo || v > hi)
    invalid_arg(field, std::string(field) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")",
                {{"min", lo}, {"max", hi}});
  return static_cast<int64_t>(v);
}

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
/// The times Python's datetime and the engine's RFC 3339 text can hold: 0001-01-01 to 9999-12-31.
constexpr int64_t kTimeMin = -62'135'596'800'000;
constexpr int64_t kTimeMax = 253'402'300'799'999;

/// JSON text for call_json: bytes-like objects as they are, a str as UTF-8 (a lone surrogate is
/// passed on as the invalid UTF-8 it encodes to, so the parser refuses it, at its byte offset,
/// exactly as it refuses invalid UTF-8 bytes and as the C ABI does).
std::string arg_json_text(py::handle h) {
  if (PyUnicode_Check(h.ptr())) {
    Py_ssize_t n = 0;
    if (const char* s = PyUnicode_AsUTF8AndSize(h.ptr(), &n)) return std::string(s, static_cast<size_t>(n));
    PyErr_Clear();
    py::object b = py::reinterpret_steal<py::object>(PyUnicode_AsEncodedString(h.ptr(), "utf-8", "surrogatepass"));
    if (!b) throw py::error_already_set();
    return std::string(PyBytes_AS_STRING(b.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(b.ptr())));
  }
  if (PyObject_CheckBuffer(h.ptr())) {
    Py_buffer view;
    if (PyObject_GetBuffer(h.ptr(), &view, PyBUF_SIMPLE) != 0) throw py::error_already_set();
    std::string out(static_cast<const char*>(view.buf), static_cast<size_t>(view.len));
    PyBuffer_Release(&view);
    return out;
  }
  throw py::type_error(std::string("input must be str or bytes, not ") + Py_TYPE(h.ptr())->tp_name);
}

// ---------------------------------------------------------------------------------------------
// Python -> JSON

void to_json_into(PyObject* o, json& out, int depth) {
  if (depth > loyalty::kMaxJsonDepth)
    throw ConvertError{Status::invalid, "JSON nested deeper than 64 levels", {{"max_depth", loyalty::kMaxJsonDepth}}};
  if (o == Py_None) {
    out = nullptr;
  } else if (o == Py_True) {
    out = true;
  } else if (o == Py_False) {
    out = false;
  } else if (PyUnicode_Check(o)) {
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(o, &n);
    if (!s) {
      PyErr_Clear();
      throw ConvertError{Status::invalid, "the string is not valid UTF-8 (lone surrogate)"};
    }
    out = std::string(s, static_cast<size_t>(n));
  } else if (PyLong_Check(o)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow == 0) {
      if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
      out = static_cast<int64_t>(v);
    } else if (overflow > 0) {
      const unsigned long long u = PyLong_AsUnsignedLongLong(o);
      if (u == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
        PyErr_Clear();
        throw ConvertError{Status::invalid, "integer out of range (must fit in 64 bits)"};
      }
      out = static_cast<uint64_t>(u);
    } else {
      throw ConvertError{Status::invalid, "integer out of range (must fit in 64 bits)"};
    }
  } else if (PyFloat_Check(o)) {
    const double d = PyFloat_AS_DOUBLE(o);
    if (!std::isfinite(d)) throw ConvertError{Status::invalid, "the number is not finite (NaN or infinity)"};
    out = d;
  } else if (PyDict_Check(o)) {
    out = json::object();
    PyObject *k = nullptr, *v = nullptr;
    Py_ssize_t pos = 0;
    while (PyDict_Next(o, &pos, &k, &v)) {
      if (!PyUnicode_Check(k)) throw ConvertError{Status::invalid, "object keys must be strings"};
      Py_ssize_t n = 0;
      const char* ks = PyUnicode_AsUTF8AndSize(k, &n);
      if (!ks) {
        PyErr_Clear();
        // The field is the key itself, its lone surrogates written as \udXXX escapes.
        ConvertError e{Status::invalid, "an object key is not valid UTF-8 (lone surrogate)"};
        e.path.push_back(escaped_str(k));
        throw e;
      }
      std::string key(ks, static_cast<size_t>(n));
      try {
        to_json_into(v, out[key], depth + 1);
      } catch (ConvertError& e) {
        e.path.push_back(std::move(key));
        throw;
      }
    }
  } else if (PyList_Check(o) || PyTuple_Check(o)) {
    out = json::array();
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    PyObject** items = PySequence_Fast_ITEMS(o);
    auto& arr = out.get_ref<json::array_t&>();
    arr.resize(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
      try {
        to_json_into(items[i], arr[static_cast<size_t>(i)], depth + 1);
      } catch (ConvertError& e) {
        e.path.push_back("[" + std::to_string(i) + "]");
        throw;
      }
    }
  } else if (PyDateTime_Check(o)) {
    out = loyalty::format_time(datetime_to_ms(o));
  } else if (PyDate_Check(o)) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", PyDateTime_GET_YEAR(o), PyDateTime_GET_MONTH(o),
                  PyDateTime_GET_DAY(o));
    out = std::string(buf);
  } else {
    const std::string type = Py_TYPE(o)->tp_name;
    throw ConvertError{Status::invalid, "cannot convert a value of type '" + type +
                                            "' to JSON (use dict, list, tuple, str, int, float, bool, None, "
                                            "datetime or date)"};
  }
}

/// collections.abc.Mapping, set at module init.
PyObject* g_mapping_type = nullptr;

/// Converts an operation input (None, a dict or another Mapping) plus keyword fields (a dict or
/// null; they win over the input's keys) to a JSON object; raises InvalidError naming the field.
json input_to_json(py::handle input, PyObject* fields = nullptr) {
  json out = json::object();
  py::object owned;
  PyObject* in = input.ptr();
  if (in != nullptr && in != Py_None && !PyDict_Check(in)) {
    const int is_mapping = g_mapping_type ? PyObject_IsInstance(in, g_mapping_type) : 0;
    if (is_mapping < 0) throw py::error_already_set();
    if (!is_mapping) {
      ConvertError e{Status::invalid, "the input must be a dict (a JSON object)"};
      raise_convert(e);
    }
    owned = py::dict(py::reinterpret_borrow<py::object>(in));
    in = owned.ptr();
  }
  try {
    if (in != nullptr && in != Py_None) to_json_into(in, out, 1);
    if (fields != nullptr && PyDict_GET_SIZE(fields) > 0) {
      json extra;
      to_json_into(fields, extra, 1);
      for (auto& [k, v] : extra.items()) out[k] = std::move(v);
    }
  } catch (ConvertError& e) {
    raise_convert(e);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON -> Python

py::object to_py(const json& j, bool times);

py::object string_to_py(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "surrogateescape");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

py::object to_py(const json& j, bool times) {
  switch (j.type()) {
    case json::value_t::null:
      return py::none();
    case json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case json::value_t::number_integer:
      return py::reinterpret_steal<py::object>(PyLong_FromLongLong(j.get<int64_t>()));
    case json::value_t::number_unsigned:
      return py::reinterpret_steal<py::object>(PyLong_FromUnsignedLongLong(j.get<uint64_t>()));
    case json::value_t::number_float:
      return py::float_(j.get<double>());
    case json::value_t::string:
      return string_to_py(j.get_ref<const std::string&>());
    case json::value_t::array: {
      py::list out(j.size());
      size_t i = 0;
      for (const auto& v : j) PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i++), to_py(v, times).release().ptr());
      return out;
    }
    case json::value_t::object: {
#if PY_VERSION_HEX < 0x030D0000
      auto out = py::reinterpret_steal<py::object>(_PyDict_NewPresized(static_cast<Py_ssize_t>(j.size())));
#else
      auto out = py::reinterpret_steal<py::object>(PyDict_New());
#endif
      if (!out) throw py::error_already_set();
      for (const auto& [k, v] : j.items()) {
        py::object value;
        if (times && v.is_string() && time_key(k) && engine_time_format(v.get_ref<const std::string&>())) {
          auto t = loyalty::parse_time(v.get_ref<const std::string&>());
          value = t ? ms_to_datetime(*t) : string_to_py(v.get_ref<const std::string&>());
        } else {
          value = to_py(v, times);
        }
        if (PyDict_SetItem(out.ptr(), string_to_py(k).ptr(), value.ptr()) != 0) throw py::error_already_set();
      }
      return out;
    }
    case json::value_t::binary:
    case json::value_t::discarded:
      break;
  }
  return py::none();
}

void raise_error(Status status, const std::string& message, const std::string& field, const json& detail) {
  int idx = -static_cast<int>(status);
  if (idx <= 0 || idx >= kStatusCount) idx = 1;  // unknown: internal error
  PyObject* cls = g_error_classes[idx];
  py::object field_obj = field.empty() ? py::none() : string_to_py(field);
  py::object detail_obj = to_py(detail.is_object() ? detail : json::object(), false);
  if (!cls) {
    PyErr_SetString(PyExc_RuntimeError, message.c_str());
    throw py::error_already_set();
  }
  // The classes take (message, code, status, field, detail); see loyalty/_errors.py.
  py::object exc = py::reinterpret_borrow<py::object>(cls)(string_to_py(message), static_cast<int>(status),
                                                           loyalty::status_name(status), field_obj, detail_obj);
  PyErr_SetObject(cls, exc.ptr());
  throw py::error_already_set();
}

// ---------------------------------------------------------------------------------------------
// Calls into the engine with the GIL released

/// The outcome of a C++ call made without the GIL: a value or a captured error.
struct Outcome {
  std::optional<Status> status;
  std::string message;
  std::string field;
  json detail;

  void capture(const loyalty::Error& e) {
    status = e.status();
    message = e.what();
    field = e.field();
    detail = e.detail();
  }
  void raise_if_failed() const {
    if (status) raise_error(*status, message, field, detail);
  }
};

/// Runs fn() without the GIL, capturing every C++ exception as a status.
template <typename Fn>
Outcome run_released(Fn&& fn) {
  Outcome o;
  {
    py::gil_scoped_release release;
    try {
      fn();
    } catch (const loyalty::Error& e) {
      o.capture(e);
    } catch (const std::bad_alloc&) {
      o.status = Status::nomem;
      o.message = "out of memory";
    } catch (const std::exception& e) {
      o.status = Status::error;
      o.message = std::string("internal error: ") + e.what();
    } catch (...) {
      o.status = Status::error;
      o.message = "internal error: unknown exception";
    }
  }
  return o;
}

[[noreturn]] void misuse(const std::string& message) { raise_error(Status::misuse, message, {}, json::object()); }

// ---------------------------------------------------------------------------------------------
// Clocks and the log sink

/// The native manual clock: loyalty::ManualClock, no GIL needed by the engine to read it.
struct ManualClockHandle {
  std::shared_ptr<loyalty::ManualClock> clock;
};

/// Releases a Python object safely from any thread, at any time (even after finalization began).
struct PyRef {
  py::object obj;
  explicit PyRef(py::object o) : obj(std::move(o)) {}
  PyRef(const PyRef&) = delete;
  PyRef& operator=(const PyRef&) = delete;
  ~PyRef() {
    if (!obj) return;
    if (!Py_IsInitialized()) {
      (void)obj.release();  // the interpreter is gone: leak rather than crash
      return;
    }
    py::gil_scoped_acquire gil;
    obj = py::object();
  }
};

/// A clock backed by a Python callable returning an aware datetime or int milliseconds.
/// A value that is not a time (another type, a naive datetime, an int beyond 64 bits) is
/// Status::invalid naming "clock"; the engine refuses readings outside 1970..9999 the same way.
/// An exception raised by the callable is Status::error naming "clock".
class PyClock final : public loyalty::Clock {
 public:
  explicit PyClock(py::object fn) : fn_(std::make_shared<PyRef>(std::move(fn))) {}
  Timestamp now() override {
    py::gil_scoped_acquire gil;
    py::object v;
    try {
      v = fn_->obj();
    } catch (py::error_already_set& e) {
      const std::string what = e.what();
      throw loyalty::Error(Status::error, "the clock callable raised: " + what, "clock");
    }
    if (PyDateTime_Check(v.ptr())) {
      try {
        return datetime_to_ms(v.ptr());
      } catch (const ConvertError&) {
        throw loyalty::Error(Status::invalid, "the clock callable returned a naive datetime", "clock");
      } catch (py::error_already_set& e) {
        const std::string what = e.what();
        throw loyalty::Error(Status::error, "the clock callable's datetime failed: " + what, "clock");
      }
    }
    if (PyLong_Check(v.ptr()) && !PyBool_Check(v.ptr())) {
      int overflow = 0;
      const long long ms = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
      if (overflow != 0)
        throw loyalty::Error(Status::invalid,
                             "the clock callable returned " + escaped_str(py::str(v).ptr()) +
                                 " ms, beyond 64 bits (the clock must read 1970-01-01..9999-12-31)",
                             "clock");
      return static_cast<Timestamp>(ms);
    }
    throw loyalty::Error(Status::invalid,
                         std::string("the clock callable must return an aware datetime or int milliseconds, not ") +
                             Py_TYPE(v.ptr())->tp_name,
                         "clock");
  }

 private:
  std::shared_ptr<PyRef> fn_;
};

const char* level_name(loyalty::LogLevel l) {
  switch (l) {
    case loyalty::LogLevel::debug:
      return "debug";
    case loyalty::LogLevel::info:
      return "info";
    case loyalty::LogLevel::warn:
      return "warn";
    case loyalty::LogLevel::error:
      return "error";
  }
  return "info";
}

// ---------------------------------------------------------------------------------------------
// Handles

struct EngineHandle {
  std::optional<loyalty::Engine> engine;
  std::string admin_key;
  bool times = true;

  loyalty::Engine get() const {
    if (!engine) misuse("the engine is closed");
    return *engine;
  }
};

struct AdminHandle {
  std::optional<loyalty::Admin> admin;
  bool times = true;
};

struct SessionHandle {
  std::optional<loyalty::Session> session;
  bool times = true;
  std::atomic<bool> busy{false};
};

/// Marks a session in use for the duration of a call: one thread at a time (docs/threading.md).
class InUse {
 public:
  explicit InUse(SessionHandle& h) : h_(h) {
    if (h_.busy.exchange(true, std::memory_order_acquire))
      misuse(
          "the session is in use by another thread (a session is used by one thread at a time; open one "
          "session per thread)");
  }
  ~InUse() { h_.busy.store(false, std::memory_order_release); }
  InUse(const InUse&) = delete;
  InUse& operator=(const InUse&) = delete;

 private:
  SessionHandle& h_;
};

loyalty::SyncMode sync_mode(py::handle h) {
  const std::string s = arg_str(h, "synchronous");
  if (s == "full") return loyalty::SyncMode::full;
  if (s == "normal") return loyalty::SyncMode::normal;
  raise_error(Status::invalid, "synchronous must be 'full' or 'normal'", "synchronous", {{"field", "synchronous"}});
}

/// An int option: a 32-bit integer here (the engine then checks its own range, naming it too).
int32_t int_option(py::handle h, const char* field) {
  return static_cast<int32_t>(arg_int(h, field, kInt32Min, kInt32Max));
}

std::shared_ptr<EngineHandle> engine_open(py::handle uri, py::handle admin_key_arg, py::object clock,
                                          py::handle synchronous, py::handle busy_timeout_ms, py::handle pool_size,
                                          py::handle cache_mb, py::handle wal_autocheckpoint, py::object log,
                                          py::handle datetimes, py::handle master_key) {
  loyalty::EngineOptions o;
  o.storage.uri = arg_str(uri, "uri");
  const std::string admin_key = arg_str(admin_key_arg, "admin_key");
  o.storage.synchronous = sync_mode(synchronous);
  o.storage.busy_timeout_ms = int_option(busy_timeout_ms, "busy_timeout_ms");
  o.storage.pool_size = int_option(pool_size, "pool_size");
  o.storage.cache_mb = int_option(cache_mb, "cache_mb");
  o.storage.wal_autocheckpoint = int_option(wal_autocheckpoint, "wal_autocheckpoint");
  const int times = PyObject_IsTrue(datetimes.ptr());
  if (times < 0) throw py::error_already_set();
  o.admin_key = admin_key;
  if (!master_key.is_none()) o.master_key = arg_str(master_key, "master_key");
  if (!clock.is_none()) {
    if (py::isinstance<ManualClockHandle>(clock)) {
      o.clock = clock.cast<ManualClockHandle&>().clock;
    } else if (PyCallable_Check(clock.ptr())) {
      o.clock = std::make_shared<PyClock>(clock);
    } else {
      raise_error(Status::invalid, "clock must be a loyalty.ManualClock or a callable", "clock", {{"field", "clock"}});
    }
  }
  if (!log.is_none()) {
    if (!PyCallable_Check(log.ptr()))
      raise_error(Status::invalid, "log must be a callable (level, message)", "log", {{"field", "log"}});
    auto ref = std::make_shared<PyRef>(log);
    o.log = [ref](loyalty::LogLevel level, std::string_view msg) {
      if (!Py_IsInitialized()) return;
      py::gil_scoped_acquire gil;
      try {
        ref->obj(level_name(level), std::string(msg));
      } catch (py::error_already_set& e) {
        e.discard_as_unraisable("loyalty log callback");
      }
    };
  }
  auto h = std::make_shared<EngineHandle>();
  h->admin_key = admin_key;
  h->times = times != 0;
  std::optional<loyalty::Engine> e;
  run_released([&] { e.emplace(loyalty::Engine::open(std::move(o))); }).raise_if_failed();
  h->engine = std::move(e);
  return h;
}

/// Registers a Python object with the five AI methods as the engine's host AI provider (None
/// unregisters). The GIL is taken only while a method runs; its exceptions become provider failures.
void set_ai_provider(EngineHandle& h, py::object provider) {
  const loyalty::Engine e = h.get();
  if (provider.is_none()) {
    loyalty::set_ai_provider(e, nullptr);
    return;
  }
  for (const char* name : {"recommendations", "churn", "segmentation", "feedback", "location_insights"})
    if (!PyCallable_Check(py::getattr(provider, name, py::none()).ptr()))
      raise_error(Status::invalid, std::string("the AI provider has no method ") + name, "provider",
                  {{"field", "provider"}});
  auto host = std::make_shared<loyalty::HostAiProvider>();
  host->model = "python";
  if (py::object model = py::getattr(provider, "model", py::none()); py::isinstance<py::str>(model))
    host->model = arg_str(model, "provider");
  auto ref = std::make_shared<PyRef>(provider);
  host->run = [ref](std::string_view op, const json& in) -> json {
    if (!Py_IsInitialized()) throw std::runtime_error("the Python interpreter is finalizing");
    py::gil_scoped_acquire gil;
    try {
      py::object out = ref->obj.attr(std::string(op).c_str())(to_py(in, false));
      json j;
      to_json_into(out.ptr(), j, 1);
      return j;
    } catch (py::error_already_set& err) {
      throw std::runtime_error(err.what());
    } catch (const ConvertError& err) {
      throw std::runtime_error("the AI provider's output cannot be converted: " + err.message);
    }
  };
  loyalty::set_ai_provider(e, std::move(host));
}

py::object admin_call(AdminHandle& h, py::handle op_arg, py::handle input, const py::kwargs& fields) {
  if (!h.admin) misuse("the admin handle is closed");
  const std::string op = arg_str(op_arg, "operation");
  json in = input_to_json(input, fields.ptr());
  const loyalty::Admin a = *h.admin;  // a copy: close() on another thread cannot free it under us
  json out;
  run_released([&] { out = a.call(op, in); }).raise_if_failed();
  return to_py(out, h.times);
}

py::object session_call(SessionHandle& h, py::handle op_arg, py::handle input, const py::kwargs& fields) {
  if (!h.session) misuse("the session is closed");
  const std::string op = arg_str(op_arg, "operation");
  InUse guard(h);
  json in = input_to_json(input, fields.ptr());
  const loyalty::Session s = *h.session;
  json out;
  run_released([&] { out = s.call(op, in); }).raise_if_failed();
  return to_py(out, h.times);
}

/// The raw path: JSON text in, JSON text out (parsed with loyalty::parse_json like the C ABI, so
/// malformed text, invalid UTF-8 included, is InvalidError "malformed JSON at byte N").
template <typename H>
std::string call_json(H& h, const std::string& op, const std::string& text) {
  std::string out;
  run_released([&] {
    if constexpr (requires { h.call_raw(op, std::string_view()); })
      out = h.call_raw(op, text);  // read and written as text by the operations that can
    else
      out = h.call(op, loyalty::parse_json(text)).dump();
  }).raise_if_failed();
  return out;
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "libloyalty's native module (pybind11 over the C++ engine); use the `loyalty` package instead.";
  PyDateTime_IMPORT;
  if (!PyDateTimeAPI) throw py::error_already_set();

  m.attr("__version__") = LOY_PY_VERSION;
  g_mapping_type = py::object(py::module_::import("collections.abc").attr("Mapping")).release().ptr();

  m.def(
      "_set_error_classes",
      [](py::list classes) {
        if (classes.size() != kStatusCount) throw py::value_error("need one class per status (14)");
        for (int i = 0; i < kStatusCount; ++i) {
          PyObject* c = classes[static_cast<size_t>(i)].ptr();
          Py_XINCREF(c);
          Py_XDECREF(g_error_classes[i]);
          g_error_classes[i] = c;
        }
      },
      "Registers the exception class for each status (index = -status).");

  m.def(
      "status_name", [](int code) { return loyalty::status_name(static_cast<Status>(code)); },
      "The identifier of a status code ('invalid', 'not_found', ...).");
  m.def(
      "status_str", [](int code) { return loyalty::status_str(static_cast<Status>(code)); },
      "The short text of a status code.");
  m.def("session_operations", &loyalty::session_operations, "Names of every session operation, sorted.");
  m.def("admin_operations", &loyalty::admin_operations, "Names of every admin operation, sorted.");
  m.def(
      "parse_time",
      [](py::handle text) -> py::object {
        auto t = loyalty::parse_time(arg_str(text, "text"));
        if (!t) return py::none();
        return py::int_(*t);
      },
      "RFC 3339 text (or YYYY-MM-DD) to UTC milliseconds; None when malformed.");
  m.def(
      "format_time", [](py::handle t) { return loyalty::format_time(arg_int(t, "t", kTimeMin, kTimeMax)); },
      "UTC milliseconds (years 0001..9999) to the engine's RFC 3339 text.");
  m.def(
      "ms_to_datetime", [](py::handle t) { return ms_to_datetime(arg_int(t, "ms", kTimeMin, kTimeMax)); },
      "UTC milliseconds (years 0001..9999) to an aware datetime.");
  m.def(
      "datetime_to_ms",
      [](py::handle dt) -> int64_t {
        if (!PyDateTime_Check(dt.ptr())) {
          ConvertError e{Status::invalid, "expected a datetime"};
          raise_convert(e);
        }
        try {
          return datetime_to_ms(dt.ptr());
        } catch (ConvertError& e) {
          raise_convert(e);
        }
      },
      "An aware datetime to UTC milliseconds (floored); InvalidError (a ValueError) when naive.");

  py::class_<ManualClockHandle>(m, "ManualClock", "A clock that moves only when told to (thread-safe).")
      .def(py::init([](py::handle start_ms) {
             return ManualClockHandle{
                 std::make_shared<loyalty::ManualClock>(arg_int(start_ms, "start", kTimeMin, kTimeMax))};
           }),
           py::arg("start_ms"))
      .def("now_ms", [](const ManualClockHandle& c) { return c.clock->now(); })
      .def("set_ms",
           [](const ManualClockHandle& c, py::handle t) { c.clock->set(arg_int(t, "t", kTimeMin, kTimeMax)); })
      .def("advance_ms", [](const ManualClockHandle& c, py::handle by) {
        const int64_t d = arg_int(by, "by", kInt64Min, kInt64Max);
        // The clock stays within years 0001..9999 (what a datetime can hold; the engine itself
        // refuses readings before 1970, naming "clock"). now is in that range, so no overflow.
        const int64_t now = c.clock->now();
        if ((d > 0 && now > kTimeMax - d) || (d < 0 && now < kTimeMin - d))
          invalid_arg("by", "by moves the clock outside years 0001..9999", {{"min", kTimeMin}, {"max", kTimeMax}});
        c.clock->advance(d);
      });

  py::class_<EngineHandle, std::shared_ptr<EngineHandle>>(m, "Engine")
      .def_static("open", &engine_open, py::arg("uri"), py::arg("admin_key"), py::arg("clock"), py::arg("synchronous"),
                  py::arg("busy_timeout_ms"), py::arg("pool_size"), py::arg("cache_mb"), py::arg("wal_autocheckpoint"),
                  py::arg("log"), py::arg("datetimes"), py::arg("master_key") = py::none())
      .def("admin",
           [](EngineHandle& h, py::handle key) {
             const loyalty::Engine e = h.get();
             const std::string k = key.is_none() ? h.admin_key : arg_str(key, "admin_key");
             std::optional<loyalty::Admin> a;
             run_released([&] { a.emplace(e.admin(k)); }).raise_if_failed();
             auto out = std::make_shared<AdminHandle>();
             out->admin = std::move(a);
             out->times = h.times;
             return out;
           })
      .def("session",
           [](EngineHandle& h, py::handle api_key_arg) {
             const loyalty::Engine e = h.get();
             const std::string api_key = arg_str(api_key_arg, "api_key");
             std::optional<loyalty::Session> s;
             run_released([&] { s.emplace(e.session(api_key)); }).raise_if_failed();
             auto out = std::make_shared<SessionHandle>();
             out->session = std::move(s);
             out->times = h.times;
             return out;
           })
      .def("set_ai_provider", &set_ai_provider, py::arg("provider"))
      .def("close",
           [](EngineHandle& h) {
             if (!h.engine) return;
             loyalty::Engine e = *h.engine;
             h.engine.reset();
             run_released([&] { e.close(); }).raise_if_failed();
           })
      .def_property_readonly("closed", [](const EngineHandle& h) { return !h.engine || h.engine->closed(); });

  py::class_<AdminHandle, std::shared_ptr<AdminHandle>>(m, "Admin")
      .def("call", &admin_call, py::arg("op"), py::arg("input") = py::none(), py::pos_only())
      .def("call_json",
           [](AdminHandle& h, py::handle op, py::handle text) {
             if (!h.admin) misuse("the admin handle is closed");
             const loyalty::Admin a = *h.admin;
             return py::bytes(call_json(a, arg_str(op, "operation"), arg_json_text(text)));
           })
      .def("close", [](AdminHandle& h) { h.admin.reset(); })
      .def_property_readonly("closed", [](const AdminHandle& h) { return !h.admin || h.admin->closed(); });

  py::class_<SessionHandle, std::shared_ptr<SessionHandle>>(m, "Session")
      .def("call", &session_call, py::arg("op"), py::arg("input") = py::none(), py::pos_only())
      .def("call_json",
           [](SessionHandle& h, py::handle op_arg, py::handle text_arg) {
             if (!h.session) misuse("the session is closed");
             const std::string op = arg_str(op_arg, "operation");
             const std::string text = arg_json_text(text_arg);
             InUse guard(h);
             const loyalty::Session s = *h.session;
             return py::bytes(call_json(s, op, text));
           })
      .def_property_readonly("tenant_id",
                             [](const SessionHandle& h) {
                               if (!h.session) misuse("the session is closed");
                               return h.session->tenant_id();
                             })
      .def("close",
           [](SessionHandle& h) {
             if (h.busy.load()) misuse("the session is in use by another thread");
             h.session.reset();
           })
      .def_property_readonly("closed", [](const SessionHandle& h) { return !h.session || h.session->closed(); });

  // For tests: throws a loyalty::Error with this status inside the same released-GIL wrapper the
  // engine calls use, so every status's translation can be checked (also those no operation
  // returns yet).
  m.def("_raise_status", [](int code, const std::string& message, const std::string& field) {
    run_released([&] { throw loyalty::Error(static_cast<Status>(code), message, field); }).raise_if_failed();
  });

  // For tests and benchmarks: a dict through the input conversion and back through the result
  // conversion, without the engine.
  m.def("_convert", [](py::handle input, bool times) { return to_py(input_to_json(input), times); });

  // For benchmarks/python: the same call repeated n times in C++ (no Python in the loop), so the
  // Python overhead per call can be measured against the C++ cost in one process. Returns the
  // total nanoseconds.
  m.def("_repeat_call", [](SessionHandle& h, const std::string& op, py::handle input, int64_t n) {
    if (!h.session) misuse("the session is closed");
    InUse guard(h);
    const json in = input_to_json(input);
    const loyalty::Session s = *h.session;
    int64_t ns = 0;
    run_released([&] {
      const auto t0 = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < n; ++i) (void)s.call(op, in);
      ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    }).raise_if_failed();
    return ns;
  });
}
