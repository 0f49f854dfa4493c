#include "node/client/cli.h"

int main(int argc, char* argv[]) { return cc::CliMain(argc, argv); }
