// HDF5 C library (Debian libhdf5-dev, serial build).
#include <hdf5.h>
// H5T_NATIVE_* and H5P_DEFAULT are macros over global ids that Swift cannot import; expose them as functions.
static inline hid_t shim_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t shim_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t shim_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t shim_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t shim_c_s1(void) { return H5T_C_S1; }
static inline hid_t shim_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t shim_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t shim_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t shim_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t shim_p_default(void) { return H5P_DEFAULT; }
static inline hid_t shim_s_all(void) { return H5S_ALL; }
static inline hid_t shim_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t shim_p_dataset_create(void) { return H5P_DATASET_CREATE; }
// File access flags and H5T_VARIABLE are also macros (H5F_ACC_* expand to H5open() calls); added for AstroIO.
static inline unsigned shim_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned shim_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned shim_f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned shim_f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline size_t shim_t_variable(void) { return H5T_VARIABLE; }
static inline hid_t shim_e_default(void) { return H5E_DEFAULT; }
static inline H5F_libver_t shim_f_libver_latest(void) { return H5F_LIBVER_LATEST; }
