#include "node/common/config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>

namespace cc {
namespace {

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

bool IsNetworkName(const std::string& name) {
  const std::vector<std::string> names = NetworkNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string SectionList() {
  std::string out;
  for (const std::string& name : NetworkNames()) out += (out.empty() ? "[" : ", [") + name + "]";
  return out;
}

}  // namespace

void Config::AddArg(const std::string& spec, const std::string& help, Type type, unsigned flags,
                    const std::string& category) {
  const size_t eq = spec.find('=');
  const std::string name = spec.substr(1, eq == std::string::npos ? std::string::npos : eq - 1);
  const std::string placeholder = eq == std::string::npos ? "" : spec.substr(eq);
  specs_[name] = Spec{placeholder, help, type, flags, category};
}

void Config::AddForeignArgs(const Config& other) {
  for (const auto& [name, spec] : other.specs_) {
    if (specs_.count(name) == 0 && (spec.flags & kForeign) == 0) {
      Spec foreign = spec;
      foreign.flags |= kForeign;
      specs_.emplace(name, std::move(foreign));
    }
  }
}

bool Config::IsKnown(const std::string& name) const {
  if (specs_.count(name) != 0) return true;
  return name.size() > 2 && name.compare(0, 2, "no") == 0 && specs_.count(name.substr(2)) != 0;
}

Status Config::Set(Source* source, std::string name, std::optional<std::string> value,
                   const std::string& where, bool from_file) {
  bool negated = false;
  if (specs_.count(name) == 0 && name.size() > 2 && name.compare(0, 2, "no") == 0 &&
      specs_.count(name.substr(2)) != 0) {
    name = name.substr(2);
    negated = true;
  }
  auto spec = specs_.find(name);
  if (spec == specs_.end() || (!from_file && (spec->second.flags & kForeign) != 0)) {
    return Status::InvalidArgument(
        where + (from_file ? "unknown option '" + name + "'" : "Invalid parameter -" + name));
  }
  if (from_file && (spec->second.flags & kCommandLineOnly) != 0) {
    return Status::InvalidArgument(
        where + "-" + name + " cannot be set in the configuration file, only on the command line");
  }

  Value parsed;
  if (negated) {
    // -noname, -noname=1: negated. -noname=0 is a double negative: name=1.
    if (!value || value->empty() || *value == "1") {
      parsed.negated = true;
      parsed.text = "0";
    } else if (*value == "0") {
      parsed.text = "1";
    } else {
      return Status::InvalidArgument(where + "negated option -no" + name +
                                     " takes no value other than 0 or 1, got '" + *value + "'");
    }
    if (spec->second.type != kBool && !parsed.negated) {
      return Status::InvalidArgument(where + "-no" + name + "=0 is not a value for -" + name);
    }
  } else {
    const std::string text = value.value_or("");
    switch (spec->second.type) {
      case kBool:
        if (text.empty() || text == "1" || text == "true") {
          parsed.text = "1";
        } else if (text == "0" || text == "false") {
          parsed.text = "0";
        } else {
          return Status::InvalidArgument(where + "Invalid value for -" + name + "=" + text +
                                         ": expected 0 or 1");
        }
        break;
      case kInt: {
        int64_t number = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
          return Status::InvalidArgument(where + "Invalid value for -" + name + "=" + text +
                                         ": expected an integer");
        }
        parsed.text = text;
        break;
      }
      case kString:
        parsed.text = text;
        break;
    }
  }
  (*source)[name].push_back(std::move(parsed));
  return Status::OK();
}

Status Config::ParseCommandLine(int argc, const char* const argv[]) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.empty() || arg[0] != '-' || arg == "-") {
      positional_.assign(argv + i, argv + argc);
      break;
    }
    arg.erase(0, arg.compare(0, 2, "--") == 0 ? 2 : 1);
    const size_t eq = arg.find('=');
    std::optional<std::string> value;
    if (eq != std::string::npos) value = arg.substr(eq + 1);
    Status s = Set(&command_line_, arg.substr(0, eq), value, "", /*from_file=*/false);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status Config::ReadConfigStream(std::istream& in, const std::string& origin) {
  std::string section;  // empty: the top level
  std::string raw;
  for (int line_number = 1; std::getline(in, raw); ++line_number) {
    const std::string where =
        "parse error on line " + std::to_string(line_number) + " of " + origin + ": ";
    const size_t hash = raw.find('#');
    const std::string line = Trim(
        hash == std::string::npos ? std::string_view(raw) : std::string_view(raw).substr(0, hash));
    if (line.empty()) continue;

    if (line.front() == '[') {
      if (line.back() != ']')
        return Status::InvalidArgument(where + "unterminated section '" + line + "'");
      section = Trim(std::string_view(line).substr(1, line.size() - 2));
      if (!IsNetworkName(section)) {
        return Status::InvalidArgument(where + "unknown section [" + section + "] (sections are " +
                                       SectionList() + ")");
      }
      continue;
    }
    if (line.front() == '-') {
      return Status::InvalidArgument(
          where + "'" + line +
          "': options in the configuration file are written without a leading '-'");
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      std::string message = where + "'" + line + "' is not name=value";
      if (line.compare(0, 2, "no") == 0) {
        message += "; to negate an option write " + line + "=1";
      }
      return Status::InvalidArgument(message);
    }
    std::string name = Trim(std::string_view(line).substr(0, eq));
    const std::string value = Trim(std::string_view(line).substr(eq + 1));
    std::string line_section = section;
    if (const size_t dot = name.find('.'); dot != std::string::npos) {
      line_section = name.substr(0, dot);
      name = name.substr(dot + 1);
      if (!IsNetworkName(line_section)) {
        return Status::InvalidArgument(where + "unknown section '" + line_section + "' in '" +
                                       line + "' (sections are " + SectionList() + ")");
      }
    }
    if (name.empty()) return Status::InvalidArgument(where + "'" + line + "' has no option name");
    if (ignore_unknown_in_file_ && !IsKnown(name)) {
      warnings_.push_back("Ignoring unknown option '" + name + "' on line " +
                          std::to_string(line_number) + " of " + origin);
      continue;
    }
    Source* target = line_section.empty() ? &file_top_ : &file_sections_[line_section];
    Status s = Set(target, name, value, where, /*from_file=*/true);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status Config::ReadConfigFile(const std::filesystem::path& datadir) {
  std::filesystem::path path = datadir / "computecoin.conf";
  const std::optional<std::string> conf = Get("conf");
  if (conf) {
    path = std::filesystem::path(*conf);
    if (path.is_relative()) path = datadir / path;
  }
  // An ifstream opens a directory and then reads nothing from it, which would
  // silently ignore every option the user meant to give.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("Config file \"" + path.string() + "\" is a directory.");
  }
  constexpr std::string_view kReading = "Error reading configuration file: ";
  std::ifstream in(path);
  if (!in) {
    if (!conf) return Status::OK();  // the default file is optional
    return Status::NotFound(std::string(kReading) + "specified config file " + path.string() +
                            " could not be opened");
  }
  Status s = ReadConfigStream(in, path.filename().string());
  if (!s.ok()) s = Status::InvalidArgument(std::string(kReading) + s.message());
  return s;
}

Status Config::SelectNetwork(const ChainParams** params) {
  // Only the command line and the file's top level can choose: a section
  // cannot select the network it belongs to.
  auto top_value = [this](const std::string& name) -> std::optional<Value> {
    for (const Source* source : {&command_line_, &file_top_}) {
      auto it = source->find(name);
      if (it != source->end() && !it->second.empty()) return it->second.back();
    }
    return std::nullopt;
  };
  std::vector<std::string> chosen;
  if (std::optional<Value> chain = top_value("chain"); chain && !chain->negated) {
    chosen.push_back(chain->text);
  }
  const std::pair<const char*, const char*> kFlags[] = {
      {"regtest", "regtest"}, {"testnet", "test"}, {"devnet", "devnet"}};
  for (const auto& [flag, network] : kFlags) {
    if (std::optional<Value> v = top_value(flag); v && v->text == "1") chosen.push_back(network);
  }
  if (chosen.size() > 1) {
    return Status::InvalidArgument(
        "Invalid combination of -regtest, -testnet, -devnet and -chain. Can use at most one.");
  }
  const ChainParams* selected = &MainParams();
  if (!chosen.empty()) {
    Status s = ParamsForName(chosen.front(), &selected);
    if (!s.ok())
      return Status::InvalidArgument(s.message() +
                                     " (-chain must be one of main, test, devnet, regtest)");
  }
  network_ = selected->name;
  if (network_ != "main") {
    for (const auto& [name, values] : file_top_) {
      if ((specs_.at(name).flags & kNetworkOnly) != 0) {
        warnings_.push_back("Config setting for -" + name +
                            " only applied on main network when in [main] section.");
      }
    }
  }
  *params = selected;
  return Status::OK();
}

std::vector<const std::vector<Config::Value>*> Config::Lookup(const std::string& name) const {
  std::vector<const std::vector<Value>*> out;
  auto add = [&](const Source& source) {
    auto it = source.find(name);
    if (it != source.end() && !it->second.empty()) out.push_back(&it->second);
  };
  add(command_line_);
  if (auto section = file_sections_.find(network_); section != file_sections_.end())
    add(section->second);
  auto spec = specs_.find(name);
  const bool network_only = spec != specs_.end() && (spec->second.flags & kNetworkOnly) != 0;
  if (!network_only || network_ == "main") add(file_top_);
  return out;
}

bool Config::IsSet(const std::string& name) const { return !Lookup(name).empty(); }

bool Config::IsNegated(const std::string& name) const {
  const auto sources = Lookup(name);
  return !sources.empty() && sources.front()->back().negated;
}

std::optional<std::string> Config::Get(const std::string& name) const {
  const auto sources = Lookup(name);
  if (sources.empty() || sources.front()->back().negated) return std::nullopt;
  return sources.front()->back().text;
}

std::string Config::GetArg(const std::string& name, const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

int64_t Config::GetIntArg(const std::string& name, int64_t fallback) const {
  const std::optional<std::string> value = Get(name);
  if (!value) return fallback;
  int64_t number = fallback;
  std::from_chars(value->data(), value->data() + value->size(), number);
  return number;
}

bool Config::GetBoolArg(const std::string& name, bool fallback) const {
  const auto sources = Lookup(name);
  if (sources.empty()) return fallback;
  const Value& value = sources.front()->back();
  return !value.negated && value.text == "1";
}

std::vector<std::string> Config::GetArgs(const std::string& name) const {
  std::vector<std::string> out;
  for (const std::vector<Value>* values : Lookup(name)) {
    std::vector<std::string> from_source;
    bool negated = false;
    for (const Value& value : *values) {
      if (value.negated) {
        from_source.clear();
        negated = true;
      } else {
        from_source.push_back(value.text);
      }
    }
    out.insert(out.end(), from_source.begin(), from_source.end());
    if (negated) break;  // a negation also empties the lower sources
  }
  return out;
}

std::string Config::HelpMessage() const {
  std::vector<std::string> categories;
  for (const auto& [name, spec] : specs_) {
    if ((spec.flags & kForeign) != 0) continue;
    if (std::find(categories.begin(), categories.end(), spec.category) == categories.end()) {
      categories.push_back(spec.category);
    }
  }
  std::sort(categories.begin(), categories.end());
  std::string out;
  for (const std::string& category : categories) {
    out += category + ":\n\n";
    for (const auto& [name, spec] : specs_) {
      if (spec.category != category || (spec.flags & kForeign) != 0) continue;
      out += "  -" + name + spec.placeholder + "\n       " + spec.help + "\n\n";
    }
  }
  return out;
}

}  // namespace cc
