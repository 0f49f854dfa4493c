#include "node/init.h"

int main(int argc, char* argv[]) { return cc::NodeMain(argc, argv); }
