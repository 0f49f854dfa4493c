// Config: the options of one program run, from its command line and its
// configuration file, with Bitcoin Core's rules.
//
// Command line: "-name=value", "-name" (= "", true for a flag), "-noname"
// (negation: false, "0", or an empty list), "--name" is the same as
// "-name". The first argument that does not start with '-' ends the options;
// it and the rest are positional (the cli's method and parameters).
//
// Configuration file (computecoin.conf), one setting per line:
//   # a comment (anything after '#' is ignored; values cannot contain '#')
//   name=value          applies to every network
//   noname=1            negation
//   [regtest]           starts a section: the settings below apply only to
//                       that network ([main], [test], [devnet], [regtest])
//   regtest.name=value  the same, for one line
// Whitespace around names and values is trimmed.
//
// Precedence, highest first: the command line, the selected network's
// section, the file's top level. Within one source the last value wins. An
// option marked kNetworkOnly (ports, binds) is taken from the top level only
// on main: a top-level rpcport= must not leak into regtest (that is what
// sections are for); such ignored lines are reported by Warnings(). A
// kMulti option (rpcauth, rpcbind) collects the values of all applicable
// sources; a negation in a higher source empties it.
//
// Every name must be registered with AddArg first: an unknown option, a
// malformed line or a value of the wrong type (an integer option given
// "abc", a flag given "yes") is an error with the file and line, never
// silently ignored.
//
// Thread safety: fill (AddArg, Parse*, Read*, SelectNetwork) from one thread
// before any other thread reads; the getters are then safe concurrently.

#ifndef COMPUTECOIN_NODE_COMMON_CONFIG_H
#define COMPUTECOIN_NODE_COMMON_CONFIG_H

#include <cstdint>
#include <filesystem>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/status.h"
#include "consensus/chainparams.h"

namespace cc {

class Config {
 public:
  enum Type { kString, kInt, kBool };
  enum Flags : unsigned {
    kNone = 0,
    kMulti = 1u << 0,            //!< may be given several times; read with GetArgs
    kNetworkOnly = 1u << 1,      //!< at the file's top level, applies to main only
    kCommandLineOnly = 1u << 2,  //!< not allowed in the configuration file (-conf, -datadir)
    /// Another program's option: the configuration file is shared by all
    /// programs, so it is accepted (and unused) there, but refused on this
    /// program's command line and left out of its help.
    kForeign = 1u << 3,
  };

  /// Registers an option. `spec` is "-name" or "-name=<placeholder>" as help
  /// shows it; `category` groups the help output (e.g. "RPC server options").
  /// REQUIRES: the name is not registered yet.
  void AddArg(const std::string& spec, const std::string& help, Type type, unsigned flags,
              const std::string& category);

  /// Registers, as kForeign, every option of `other` not registered here.
  void AddForeignArgs(const Config& other);

  /// From now on, an unknown name in the configuration file is skipped (and
  /// listed in Warnings()) instead of being an error: for the clients, which
  /// share the node's file without knowing all of its options.
  void IgnoreUnknownFileOptions() { ignore_unknown_in_file_ = true; }

  /// Parses argv[1..argc). Returns InvalidArgument ("Invalid parameter -foo",
  /// "Invalid value for -rpcport=abc: expected an integer") on the first bad
  /// argument.
  Status ParseCommandLine(int argc, const char* const argv[]);

  /// Parses configuration text; `origin` names it in errors ("parse error
  /// on line 3 of computecoin.conf: ...").
  Status ReadConfigStream(std::istream& in, const std::string& origin);

  /// Reads the configuration file: -conf (relative to `datadir` unless
  /// absolute) or, without -conf, `datadir`/computecoin.conf if it exists.
  /// Returns InvalidArgument ("Config file \"<path>\" is a directory.") if
  /// the path is a directory, with or without -conf; NotFound if an explicit
  /// -conf cannot be opened; ReadConfigStream's errors as InvalidArgument.
  /// Every error but the first starts "Error reading configuration file: ".
  Status ReadConfigFile(const std::filesystem::path& datadir);

  /// Chooses the network from -chain=, -regtest, -testnet and -devnet on the
  /// command line or the file's top level (default main) and makes its
  /// section apply. Returns InvalidArgument if more than one is given or the
  /// chain name is unknown.
  Status SelectNetwork(const ChainParams** params);

  /// True if the option was given (even negated) in an applicable source.
  [[nodiscard]] bool IsSet(const std::string& name) const;
  /// True if the effective value is a negation (-noname).
  [[nodiscard]] bool IsNegated(const std::string& name) const;
  /// The effective value; nullopt if not given or negated.
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetArg(const std::string& name, const std::string& fallback) const;
  /// For kInt options (validated while parsing).
  int64_t GetIntArg(const std::string& name, int64_t fallback) const;
  /// For kBool options: -name → true, -noname → false.
  bool GetBoolArg(const std::string& name, bool fallback) const;
  /// For kMulti options: every applicable value in precedence order.
  std::vector<std::string> GetArgs(const std::string& name) const;

  /// The positional arguments after the options.
  const std::vector<std::string>& positional() const { return positional_; }
  /// Settings that were read but do not apply (see kNetworkOnly).
  const std::vector<std::string>& Warnings() const { return warnings_; }

  /// Help text for every registered option, by category.
  std::string HelpMessage() const;

 private:
  struct Spec {
    std::string placeholder;  //!< "=<port>" or ""
    std::string help;
    Type type = kString;
    unsigned flags = kNone;
    std::string category;
  };
  struct Value {
    std::string text;
    bool negated = false;
  };
  using Source = std::map<std::string, std::vector<Value>>;

  /// True if `name` (or, for "noX", X) is registered.
  bool IsKnown(const std::string& name) const;
  /// Validates and records one setting from a source. `where` prefixes errors.
  Status Set(Source* source, std::string name, std::optional<std::string> value,
             const std::string& where, bool from_file);
  /// The sources that apply to `name`, highest precedence first.
  std::vector<const std::vector<Value>*> Lookup(const std::string& name) const;

  std::map<std::string, Spec> specs_;
  Source command_line_;
  Source file_top_;
  std::map<std::string, Source> file_sections_;  //!< by network name
  std::vector<std::string> positional_;
  std::vector<std::string> warnings_;
  std::string network_ = "main";
  bool ignore_unknown_in_file_ = false;
};

}  // namespace cc

#endif  // COMPUTECOIN_NODE_COMMON_CONFIG_H
