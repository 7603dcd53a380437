//! `ExactNeuron`: the neuron group, generic over where it runs.

use std::fmt;

use crate::device::{check_len, KernelDevice, StepVoltage};
use crate::dtype::{OverrideValue, ThresholdInput, VoltageElement};
use crate::error::Result;
use crate::params::{check_positive, voltage_parameter, NeuronParams};
use crate::pyrepr::float_repr;
use crate::shape::BatchShape;
use crate::views::{zeroed, Slot, ViewSlots};

/// A group of exact neurons: they spike where their input is positive (or
/// where an override says so), and their membrane voltage (`thresh_v` where
/// they spiked, else `rest_v`) and refractory time (zero) are derived from
/// the spikes, lazily.
///
/// The state is one spike byte (0 or 1) per neuron and sample, laid out as
/// [`batched_shape`](Self::batched_shape). `D` is where it lives and the
/// kernels run: [`Cpu`](crate::Cpu) or [`Cuda`](crate::Cuda).
///
/// ```
/// use exact_neuron::{CpuNeuron, NeuronParams};
///
/// let params = NeuronParams::new([3], 1.0, -60.0, -50.0).with_batch_size(2);
/// let mut neuron = CpuNeuron::cpu(&params)?;
/// let spikes = neuron.forward::<f32>(&[1.0, -1.0, f32::NAN, 0.0, -0.0, f32::INFINITY])?;
/// assert_eq!(spikes, &[1, 0, 0, 0, 0, 1]);
/// assert_eq!(neuron.voltage::<f32>()?, &[-50.0, -60.0, -60.0, -60.0, -60.0, -50.0]);
/// assert_eq!(neuron.to_string(), "ExactNeuron(shape=(3,), batchsz=2, dt=1.0)");
/// # Ok::<(), exact_neuron::Error>(())
/// ```
pub struct ExactNeuron<D: KernelDevice> {
    device: D,
    shape: BatchShape,
    step_time: f64,
    rest_v: f64,
    thresh_v: f64,
    /// Changed only through [`spikes_mut`](Self::spikes_mut).
    spikes: D::Buffer<u8>,
    /// Bumped on every change of the spikes (by `spikes_mut`); a view is
    /// fresh when it was computed at the current generation.
    generation: u64,
    voltage: ViewSlots<D>,
    refrac: ViewSlots<D>,
    /// The spikes as bit-packed words: a view of the byte state, computed
    /// on demand or kept from a step that wrote bits.
    bits: Slot<D::Words>,
}

impl<D: KernelDevice> ExactNeuron<D> {
    /// A neuron group on `device`, all spikes clear. The parameters are
    /// validated first, in inferno's order and with its texts.
    pub fn with_device(device: D, params: &NeuronParams) -> Result<Self> {
        let shape = params.validate()?;
        let spikes = device.alloc_zeroed::<u8>(shape.len())?;
        Ok(ExactNeuron {
            device,
            shape,
            step_time: params.step_time,
            rest_v: params.rest_v,
            thresh_v: params.thresh_v,
            spikes,
            generation: 0,
            voltage: ViewSlots::default(),
            refrac: ViewSlots::default(),
            bits: Slot::default(),
        })
    }

    /// The device the state lives on.
    pub fn device(&self) -> &D {
        &self.device
    }

    /// The validated shape and batch size.
    pub fn batch_shape(&self) -> &BatchShape {
        &self.shape
    }

    /// Shape of the group (without the batch dimension).
    pub fn shape(&self) -> &[usize] {
        self.shape.shape()
    }

    /// Number of neurons, `prod(shape)`.
    pub fn count(&self) -> usize {
        self.shape.count()
    }

    /// Number of samples simulated at once.
    pub fn batch_size(&self) -> usize {
        self.shape.batch_size()
    }

    /// `[batch_size, *shape]`, the layout of the state and of every view.
    pub fn batched_shape(&self) -> Vec<usize> {
        self.shape.batched_shape()
    }

    /// Number of state elements, `batch_size * count`.
    pub fn len(&self) -> usize {
        self.shape.len()
    }

    /// Always false: a neuron group has at least one element.
    pub fn is_empty(&self) -> bool {
        self.shape.is_empty()
    }

    /// Length of a simulation step, in ms.
    pub fn dt(&self) -> f64 {
        self.step_time
    }

    /// Sets the step length; it must be positive (`'dt' of 0.0 must be
    /// positive`). A rejected value changes nothing.
    pub fn set_dt(&mut self, dt: f64) -> Result<()> {
        self.step_time = check_positive("dt", dt)?;
        Ok(())
    }

    /// Voltage at rest, in mV.
    pub fn rest_v(&self) -> f64 {
        self.rest_v
    }

    /// Voltage at threshold, in mV.
    pub fn thresh_v(&self) -> f64 {
        self.thresh_v
    }

    /// Resizes the state to `batch_size` samples, all spikes clear, even
    /// when the size does not change. A rejected size (0, or too large)
    /// changes nothing; so does a failed allocation.
    pub fn set_batch_size(&mut self, batch_size: usize) -> Result<()> {
        let shape = self.shape.with_batch_size(batch_size)?;
        let spikes = self.device.alloc_zeroed::<u8>(shape.len())?;
        self.shape = shape;
        *self.spikes_mut().1 = spikes;
        self.voltage = ViewSlots::default();
        self.refrac = ViewSlots::default();
        self.bits = Slot::default();
        Ok(())
    }

    /// Clears every spike (the resting state).
    pub fn clear(&mut self) -> Result<()> {
        let (device, spikes) = self.spikes_mut();
        device.zero(spikes)
    }

    /// The device and the spike buffer, to change the spikes: the one way
    /// they change. Every cached view is stale from here on (the generation
    /// is bumped first, so a change that fails halfway leaves no view
    /// claiming to be fresh).
    pub(crate) fn spikes_mut(&mut self) -> (&D, &mut D::Buffer<u8>) {
        self.generation = self.generation.wrapping_add(1);
        (&self.device, &mut self.spikes)
    }

    /// One step in threshold mode: `spike[i] = inputs[i] > 0` (NaN, ±0 and
    /// -inf give 0; +inf and positive subnormals give 1). `inputs` must have
    /// exactly [`len`](Self::len) elements, else nothing changes. Returns
    /// the spikes.
    pub fn forward<T: ThresholdInput>(
        &mut self,
        inputs: &D::Slice<'_, T>,
    ) -> Result<&D::Buffer<u8>> {
        self.check_len("inputs", D::slice_len(inputs))?;
        let (device, spikes) = self.spikes_mut();
        device.threshold(inputs, spikes)?;
        Ok(&self.spikes)
    }

    /// One step with an override: `spike[i] = values[i] != 0` (NaN gives 1,
    /// -0.0 gives 0). The values are copied into the neuron's own buffer.
    /// `values` must have exactly [`len`](Self::len) elements, else nothing
    /// changes. Returns the spikes.
    pub fn forward_override<T: OverrideValue>(
        &mut self,
        values: &D::Slice<'_, T>,
    ) -> Result<&D::Buffer<u8>> {
        self.check_len("override", D::slice_len(values))?;
        let (device, spikes) = self.spikes_mut();
        device.overrides(values, spikes)?;
        Ok(&self.spikes)
    }

    /// The spikes of the last step, one byte (0 or 1) per element.
    pub fn spike(&self) -> &D::Buffer<u8> {
        &self.spikes
    }

    /// The membrane voltage in `T`: `thresh_v` where the spike is set, else
    /// `rest_v`. Computed on first use after a spike change and cached; the
    /// buffer of each `T` is allocated once and reused.
    ///
    /// f64 gives the parameters exactly; f32 rounds them to nearest; f16
    /// and bf16 round that f32 to nearest even. A finite parameter beyond
    /// `f32::MAX` gives [`Error::VoltageOverflow`](crate::Error::VoltageOverflow) for f32, f16 and bf16.
    pub fn voltage<T: VoltageElement>(&mut self) -> Result<&D::Buffer<T>> {
        self.voltage_view::<T>().map(|(_, buffer)| buffer)
    }

    /// [`voltage`](Self::voltage), with the device that holds it.
    pub(crate) fn voltage_view<T: VoltageElement>(&mut self) -> Result<(&D, &D::Buffer<T>)> {
        let rest = voltage_parameter::<T>("rest_v", self.rest_v)?;
        let thresh = voltage_parameter::<T>("thresh_v", self.thresh_v)?;
        let len = self.shape.len();
        let ExactNeuron {
            device,
            spikes,
            generation,
            voltage,
            ..
        } = self;
        let device: &D = device;
        let buffer = voltage
            .slot::<T>()
            .fresh(*generation, zeroed(device, len), |out| {
                device.voltage(spikes, rest, thresh, out)
            })?;
        Ok((device, buffer))
    }

    /// The refractory time in `T`: +0.0 everywhere (the model has none).
    /// Filled once per batch size and cached.
    pub fn refrac<T: VoltageElement>(&mut self) -> Result<&D::Buffer<T>> {
        self.refrac_view::<T>().map(|(_, buffer)| buffer)
    }

    /// [`refrac`](Self::refrac), with the device that holds it.
    pub(crate) fn refrac_view<T: VoltageElement>(&mut self) -> Result<(&D, &D::Buffer<T>)> {
        // `alloc_zeroed` writes the zeros (+0.0) when the buffer is first
        // made; they do not depend on the spikes, so the view stays valid
        // until the batch size changes and drops it.
        let len = self.shape.len();
        let device = &self.device;
        let buffer = self.refrac.slot::<T>().buffer(zeroed(device, len))?;
        Ok((device, buffer))
    }

    /// Copies the spikes to the host as bools.
    pub fn spikes_to_host(&self) -> Result<Vec<bool>> {
        let mut bytes = vec![0u8; self.len()];
        self.read_spike_bytes(&mut bytes)?;
        Ok(bytes.into_iter().map(|byte| byte != 0).collect())
    }

    /// Copies the spikes into `dst` (exactly [`len`](Self::len) bytes, each
    /// 0 or 1).
    pub fn read_spike_bytes(&self, dst: &mut [u8]) -> Result<()> {
        self.check_len("spike destination", dst.len())?;
        self.device.download(&self.spikes, dst)
    }

    /// Loads the spike state from the host (exactly [`len`](Self::len)
    /// values, else nothing changes).
    pub fn load_spikes(&mut self, spikes: &[bool]) -> Result<()> {
        self.check_len("spike state", spikes.len())?;
        let (device, state) = self.spikes_mut();
        device.upload(bytemuck::cast_slice::<bool, u8>(spikes), state)
    }

    /// Loads the spike state from host bytes: a nonzero byte is a spike.
    /// Exactly [`len`](Self::len) bytes, else nothing changes.
    pub fn load_spike_bytes(&mut self, spikes: &[u8]) -> Result<()> {
        self.check_len("spike state", spikes.len())?;
        let normalized: Vec<u8> = spikes.iter().map(|&byte| u8::from(byte != 0)).collect();
        let (device, state) = self.spikes_mut();
        device.upload(&normalized, state)
    }

    /// Words per batch row of the bit-packed state, `ceil(count / 32)`.
    pub fn words_per_row(&self) -> usize {
        self.count().div_ceil(32)
    }

    /// Words of the bit-packed state, `batch_size * ceil(count / 32)`.
    pub fn bits_len(&self) -> usize {
        self.batch_size() * self.words_per_row()
    }

    /// The spikes as bits, GeNN's layout: `batch_size` rows of
    /// `ceil(count / 32)` u32 words; bit `j` (LSB first) of word `w` of row
    /// `b` is the spike of neuron `32 w + j` of sample `b`, padding bits 0.
    /// Packed on first use after a spike change and cached (a step that
    /// wrote bits leaves them here, fresh).
    pub fn spike_bits(&mut self) -> Result<&D::Words> {
        self.spike_bits_view().map(|(_, words)| words)
    }

    /// [`spike_bits`](Self::spike_bits), with the device that holds them.
    pub(crate) fn spike_bits_view(&mut self) -> Result<(&D, &D::Words)> {
        let (rows, count, len) = (self.batch_size(), self.count(), self.bits_len());
        let ExactNeuron {
            device,
            spikes,
            generation,
            bits,
            ..
        } = self;
        let device: &D = device;
        let words = bits.fresh(
            *generation,
            || device.alloc_words(len),
            |words| device.pack_bits(spikes, rows, count, words),
        )?;
        Ok((device, words))
    }

    /// A host copy of [`spike_bits`](Self::spike_bits).
    pub fn spike_bits_to_host(&mut self) -> Result<Vec<u32>> {
        let mut host = vec![0u32; self.bits_len()];
        let (device, words) = self.spike_bits_view()?;
        device.download_words(words, &mut host)?;
        Ok(host)
    }

    /// Loads the spike state from bits in the layout of
    /// [`spike_bits`](Self::spike_bits): exactly
    /// [`bits_len`](Self::bits_len) words, else nothing changes. Padding
    /// bits are ignored.
    pub fn load_spike_bits(&mut self, words: &[u32]) -> Result<()> {
        check_len("spike words", self.bits_len(), words.len())?;
        let per_row = self.words_per_row();
        let tail = self.count() % 32;
        let mut clean = words.to_vec();
        if tail != 0 {
            for row in clean.chunks_exact_mut(per_row) {
                row[per_row - 1] &= (1u32 << tail) - 1;
            }
        }
        let (rows, count, len) = (self.batch_size(), self.count(), self.bits_len());
        self.generation = self.generation.wrapping_add(1);
        let ExactNeuron {
            device,
            spikes,
            generation,
            bits,
            ..
        } = self;
        let device: &D = device;
        bits.refill(
            *generation,
            || device.alloc_words(len),
            |staged| {
                device.upload_words(&clean, staged)?;
                device.unpack_bits(staged, rows, count, spikes)
            },
        )?;
        Ok(())
    }

    /// One threshold step with the spikes returned as bits (the layout of
    /// [`spike_bits`](Self::spike_bits)): one launch packs them, a second
    /// unpacks them into the byte state, which every other method reads.
    /// `inputs` must have exactly [`len`](Self::len) elements, else nothing
    /// changes.
    pub fn forward_bits<T: ThresholdInput>(
        &mut self,
        inputs: &D::Slice<'_, T>,
    ) -> Result<&D::Words> {
        self.check_len("inputs", D::slice_len(inputs))?;
        self.step_into_bits(|device, rows, count, words| {
            device.threshold_bits(inputs, rows, count, words)
        })
    }

    /// [`forward_override`](Self::forward_override) with the spikes
    /// returned as bits, as [`forward_bits`](Self::forward_bits).
    pub fn forward_override_bits<T: OverrideValue>(
        &mut self,
        values: &D::Slice<'_, T>,
    ) -> Result<&D::Words> {
        self.check_len("override", D::slice_len(values))?;
        self.step_into_bits(|device, rows, count, words| {
            device.overrides_bits(values, rows, count, words)
        })
    }

    /// A step that writes the bit view with `pack`, then the byte state
    /// from it.
    pub(crate) fn step_into_bits(
        &mut self,
        pack: impl FnOnce(&D, usize, usize, &mut D::Words) -> Result<()>,
    ) -> Result<&D::Words> {
        let (rows, count, len) = (self.batch_size(), self.count(), self.bits_len());
        self.generation = self.generation.wrapping_add(1);
        let ExactNeuron {
            device,
            spikes,
            generation,
            bits,
            ..
        } = self;
        let device: &D = device;
        let words = bits.refill(
            *generation,
            || device.alloc_words(len),
            |words| {
                pack(device, rows, count, words)?;
                device.unpack_bits(words, rows, count, spikes)
            },
        )?;
        Ok(words)
    }

    /// One threshold step that writes the spikes and the voltage view in
    /// `V` in one launch (the fused step): the view is fresh afterwards,
    /// with no launch of its own. `inputs` must have exactly
    /// [`len`](Self::len) elements, else nothing changes.
    #[allow(clippy::type_complexity)] // a pair of the two buffers written
    pub fn forward_with_voltage<T: ThresholdInput, V: VoltageElement>(
        &mut self,
        inputs: &D::Slice<'_, T>,
    ) -> Result<(&D::Buffer<u8>, &D::Buffer<V>)> {
        self.check_len("inputs", D::slice_len(inputs))?;
        self.fused_step::<V>(|device, spikes, voltage| {
            device.step::<T, V>(inputs, spikes, Some(voltage), None)
        })
    }

    /// The fused step of an override, as
    /// [`forward_with_voltage`](Self::forward_with_voltage).
    #[allow(clippy::type_complexity)] // a pair of the two buffers written
    pub fn forward_override_with_voltage<T: OverrideValue, V: VoltageElement>(
        &mut self,
        values: &D::Slice<'_, T>,
    ) -> Result<(&D::Buffer<u8>, &D::Buffer<V>)> {
        self.check_len("override", D::slice_len(values))?;
        self.fused_step::<V>(|device, spikes, voltage| {
            device.step_override::<T, V>(values, spikes, Some(voltage), None)
        })
    }

    #[allow(clippy::type_complexity)] // a pair of the two buffers written
    pub(crate) fn fused_step<V: VoltageElement>(
        &mut self,
        step: impl FnOnce(&D, &mut D::Buffer<u8>, StepVoltage<'_, D::Buffer<V>, V>) -> Result<()>,
    ) -> Result<(&D::Buffer<u8>, &D::Buffer<V>)> {
        let rest = voltage_parameter::<V>("rest_v", self.rest_v)?;
        let thresh = voltage_parameter::<V>("thresh_v", self.thresh_v)?;
        let len = self.len();
        self.generation = self.generation.wrapping_add(1);
        let ExactNeuron {
            device,
            spikes,
            generation,
            voltage,
            ..
        } = self;
        let device: &D = device;
        let spikes_out = &mut *spikes;
        let out = voltage
            .slot::<V>()
            .refill(*generation, zeroed(device, len), |out| {
                step(device, spikes_out, StepVoltage { out, rest, thresh })
            })?;
        Ok((&*spikes, &*out))
    }

    /// `T` threshold steps in one launch: `inputs` holds `T * len()`
    /// elements, step-major (the step-by-step inputs laid end to end);
    /// `spikes` gets the `T * len()` spike bytes and `voltage`, if given,
    /// the voltages in `V`. The state afterwards is the last step's.
    /// Returns `T`. A length that is not a multiple of `len()`, or outputs
    /// of another length, change nothing; `T = 0` changes nothing.
    pub fn forward_steps<T: ThresholdInput, V: VoltageElement>(
        &mut self,
        inputs: &D::Slice<'_, T>,
        spikes: &mut D::Buffer<u8>,
        voltage: Option<&mut D::Buffer<V>>,
    ) -> Result<usize> {
        self.steps_bytes(
            D::slice_len(inputs),
            spikes,
            voltage,
            |device, spikes, voltage, state| {
                device.step::<T, V>(inputs, spikes, voltage, Some(state))
            },
        )
    }

    /// [`forward_steps`](Self::forward_steps) with override values.
    pub fn forward_override_steps<T: OverrideValue, V: VoltageElement>(
        &mut self,
        values: &D::Slice<'_, T>,
        spikes: &mut D::Buffer<u8>,
        voltage: Option<&mut D::Buffer<V>>,
    ) -> Result<usize> {
        self.steps_bytes(
            D::slice_len(values),
            spikes,
            voltage,
            |device, spikes, voltage, state| {
                device.step_override::<T, V>(values, spikes, voltage, Some(state))
            },
        )
    }

    /// `T` threshold steps in one launch with the spike trace as bits:
    /// `words` gets `T * batch_size * ceil(count / 32)` words (step-major,
    /// each step in the layout of [`spike_bits`](Self::spike_bits)), as
    /// [`forward_steps`](Self::forward_steps) otherwise. The last step's
    /// words become the bit view; one more launch unpacks them into the
    /// byte state.
    pub fn forward_steps_bits<T: ThresholdInput, V: VoltageElement>(
        &mut self,
        inputs: &D::Slice<'_, T>,
        words: &mut D::Words,
        voltage: Option<&mut D::Buffer<V>>,
    ) -> Result<usize> {
        self.steps_bits(
            D::slice_len(inputs),
            words,
            voltage,
            |device, rows, count, words, voltage, state| {
                device.step_bits::<T, V>(inputs, rows, count, words, voltage, Some(state))
            },
        )
    }

    /// [`forward_steps_bits`](Self::forward_steps_bits) with override
    /// values.
    pub fn forward_override_steps_bits<T: OverrideValue, V: VoltageElement>(
        &mut self,
        values: &D::Slice<'_, T>,
        words: &mut D::Words,
        voltage: Option<&mut D::Buffer<V>>,
    ) -> Result<usize> {
        self.steps_bits(
            D::slice_len(values),
            words,
            voltage,
            |device, rows, count, words, voltage, state| {
                device.step_bits_override::<T, V>(values, rows, count, words, voltage, Some(state))
            },
        )
    }

    /// The number of steps in `inputs` elements, after the length checks of
    /// a multi-step call (`outputs` elements, `voltage` elements).
    pub(crate) fn steps_in(&self, inputs: usize, voltage: Option<usize>) -> Result<usize> {
        let len = self.len();
        if inputs % len != 0 {
            return Err(crate::Error::LengthMismatch {
                what: "step inputs (a multiple of the state's length)",
                expected: (inputs / len + 1) * len,
                actual: inputs,
            });
        }
        if let Some(voltage) = voltage {
            check_len("voltage trace", inputs, voltage)?;
        }
        Ok(inputs / len)
    }

    #[allow(clippy::type_complexity)]
    pub(crate) fn steps_bytes<V: VoltageElement>(
        &mut self,
        inputs: usize,
        spikes: &mut D::Buffer<u8>,
        voltage: Option<&mut D::Buffer<V>>,
        run: impl FnOnce(
            &D,
            &mut D::Buffer<u8>,
            Option<StepVoltage<'_, D::Buffer<V>, V>>,
            &mut D::Buffer<u8>,
        ) -> Result<()>,
    ) -> Result<usize> {
        let steps = self.steps_in(inputs, voltage.as_ref().map(|v| D::buffer_len(v)))?;
        check_len("spike trace", inputs, D::buffer_len(spikes))?;
        let voltage = self.step_voltage(voltage)?;
        if steps == 0 {
            return Ok(0);
        }
        let (device, state) = self.spikes_mut();
        run(device, spikes, voltage, state)?;
        Ok(steps)
    }

    #[allow(clippy::type_complexity)]
    pub(crate) fn steps_bits<V: VoltageElement>(
        &mut self,
        inputs: usize,
        words: &mut D::Words,
        voltage: Option<&mut D::Buffer<V>>,
        run: impl FnOnce(
            &D,
            usize,
            usize,
            &mut D::Words,
            Option<StepVoltage<'_, D::Buffer<V>, V>>,
            &mut D::Words,
        ) -> Result<()>,
    ) -> Result<usize> {
        let steps = self.steps_in(inputs, voltage.as_ref().map(|v| D::buffer_len(v)))?;
        check_len(
            "spike word trace",
            steps * self.bits_len(),
            D::words_len(words),
        )?;
        let voltage = self.step_voltage(voltage)?;
        if steps == 0 {
            return Ok(0);
        }
        let (batch, count, len) = (self.batch_size(), self.count(), self.bits_len());
        let rows = steps * batch;
        self.generation = self.generation.wrapping_add(1);
        let ExactNeuron {
            device,
            spikes,
            generation,
            bits,
            ..
        } = self;
        let device: &D = device;
        bits.refill(
            *generation,
            || device.alloc_words(len),
            |state| {
                run(device, rows, count, words, voltage, state)?;
                device.unpack_bits(state, batch, count, spikes)
            },
        )?;
        Ok(steps)
    }

    /// The voltage output of a multi-step call, with the parameters in `V`
    /// (checked before anything runs).
    fn step_voltage<'a, V: VoltageElement>(
        &self,
        voltage: Option<&'a mut D::Buffer<V>>,
    ) -> Result<Option<StepVoltage<'a, D::Buffer<V>, V>>> {
        voltage
            .map(|out| {
                Ok(StepVoltage {
                    out,
                    rest: voltage_parameter::<V>("rest_v", self.rest_v)?,
                    thresh: voltage_parameter::<V>("thresh_v", self.thresh_v)?,
                })
            })
            .transpose()
    }

    fn check_len(&self, what: &'static str, actual: usize) -> Result<()> {
        check_len(what, self.shape.len(), actual)
    }
}

impl<D: KernelDevice> fmt::Display for ExactNeuron<D> {
    /// inferno's repr: `ExactNeuron(shape=(2, 3), batchsz=2, dt=1.0)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.shape().iter().map(usize::to_string).collect();
        let shape = match dims.len() {
            1 => format!("({},)", dims[0]),
            _ => format!("({})", dims.join(", ")),
        };
        write!(
            f,
            "ExactNeuron(shape={shape}, batchsz={}, dt={})",
            self.batch_size(),
            float_repr(self.step_time)
        )
    }
}

impl<D: KernelDevice> fmt::Debug for ExactNeuron<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExactNeuron")
            .field("shape", &self.shape())
            .field("batch_size", &self.batch_size())
            .field("step_time", &self.step_time)
            .field("rest_v", &self.rest_v)
            .field("thresh_v", &self.thresh_v)
            .finish_non_exhaustive()
    }
}
