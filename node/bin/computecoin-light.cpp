#include "node/client/light_client.h"

int main(int argc, char* argv[]) { return cc::LightMain(argc, argv); }
