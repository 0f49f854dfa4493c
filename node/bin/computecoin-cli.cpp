#include "node/cli.h"

int main(int argc, char* argv[]) { return cc::CliMain(argc, argv); }
