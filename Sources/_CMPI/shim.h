// Open MPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros that take the address of
// library globals, and MPI_IN_PLACE is a cast: Swift imports neither, so these getters expose them.
#ifndef ASTRO_MPI_SHIM_H
#define ASTRO_MPI_SHIM_H
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

static inline MPI_Comm astro_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype astro_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype astro_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype astro_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype astro_mpi_int(void) { return MPI_INT; }
static inline MPI_Op astro_mpi_sum(void) { return MPI_SUM; }
static inline void *astro_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler astro_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int astro_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int astro_mpi_success(void) { return MPI_SUCCESS; }
static inline int astro_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
