// The C header compiled as C++ (-std=c++17 -Wall -Wextra -Werror): the declarations are
// usable from C++ tools, inside extern "C".
#include "cellsdf.h"

#include <cstdio>
#include <memory>

struct ModelDeleter {
    void operator()(csdf_model *m) const { csdf_model_free(m); }
};

int main() {
    std::unique_ptr<csdf_model, ModelDeleter> model;
    csdf_model *raw = nullptr;
    csdf_status s = csdf_model_load("does-not-exist.safetensors", CSDF_DEVICE_CPU, &raw);
    model.reset(raw);
    char msg[256];
    csdf_last_error_message(msg, sizeof msg);
    std::printf("C++: libcellsdf %s; loading a missing model gives status %d (%s): %s\n",
                csdf_version(), s, csdf_status_name(s), msg);
    return s == CSDF_STATUS_IO && !model ? 0 : 1;
}
