//! Kernel modules, loaded once per CUDA context and shared.

use std::sync::{Arc, Mutex, Weak};

use cudarc::driver::sys::CUdevice_attribute;
use cudarc::driver::{CudaContext, CudaFunction, CudaModule};
use cudarc::nvrtc::Ptx;

use crate::error::Result;
use crate::kernel::{Kernel, Op};
use crate::launch::{GridLimits, BLOCK_THREADS};

/// The three modules of one context and a handle to every entry in them.
pub(crate) struct KernelSet {
    context: Arc<CudaContext>,
    functions: Vec<CudaFunction>,
    // Each entry's grid on this context's device.
    limits: GridLimits,
    // Keeps the modules loaded while any handle is in use.
    _modules: Vec<Arc<CudaModule>>,
}

impl KernelSet {
    fn load(context: &Arc<CudaContext>) -> Result<KernelSet> {
        let mut modules = Vec::with_capacity(Op::ALL.len());
        for op in Op::ALL {
            // The PTX text is handed to the driver, which JIT-compiles it for
            // the device; no NVRTC compilation happens.
            modules.push(context.load_module(Ptx::from_src(op.ptx()))?);
        }
        let mut functions = Vec::with_capacity(Kernel::ALL.len());
        for kernel in Kernel::ALL {
            // `Op::ALL` and `Kernel::ALL` are in index order, so module
            // `op.index()` holds entry `kernel` and `functions[kernel.index()]`
            // is its handle.
            functions.push(modules[kernel.op().index()].load_function(kernel.name())?);
        }
        // Each entry's grid is two waves of the blocks of BLOCK_THREADS
        // threads that the entry keeps resident on one multiprocessor, by
        // the driver's occupancy query (its registers per thread decide
        // it: the kernels use no shared memory); the grid strides over the
        // rest. Queried once per context, with the modules.
        let multiprocessors =
            context.attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?;
        let mut resident = Vec::with_capacity(functions.len());
        for function in &functions {
            resident.push(function.occupancy_max_active_blocks_per_multiprocessor(
                BLOCK_THREADS,
                0,
                None,
            )?);
        }
        let limits =
            GridLimits::per_entry(u32::try_from(multiprocessors).unwrap_or(1), 2, |kernel| {
                resident[kernel.index()]
            });
        Ok(KernelSet {
            context: context.clone(),
            functions,
            limits,
            _modules: modules,
        })
    }

    /// Each entry's grid limits on this context's device.
    pub(crate) fn grid_limits(&self) -> GridLimits {
        self.limits
    }

    /// The loaded entry.
    pub(crate) fn function(&self, kernel: Kernel) -> &CudaFunction {
        &self.functions[kernel.index()]
    }
}

/// Live kernel sets, one per context. Weak, so that a context's modules are
/// unloaded once no neuron on it is left.
static LOADED: Mutex<Vec<Weak<KernelSet>>> = Mutex::new(Vec::new());

/// The kernel set of `context`, loading it on first use.
pub(crate) fn kernels_for(context: &Arc<CudaContext>) -> Result<Arc<KernelSet>> {
    // A panic elsewhere while the lock was held cannot leave the list in a
    // bad state (it is only pushed to and filtered), so poisoning is ignored.
    let mut loaded = LOADED.lock().unwrap_or_else(|poison| poison.into_inner());
    loaded.retain(|set| set.strong_count() > 0);
    if let Some(set) = loaded
        .iter()
        .filter_map(Weak::upgrade)
        .find(|set| set.context.cu_ctx() == context.cu_ctx())
    {
        return Ok(set);
    }
    let set = Arc::new(KernelSet::load(context)?);
    loaded.push(Arc::downgrade(&set));
    Ok(set)
}
