package dev.zephyr.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.device.Devices;
import dev.zephyr.train.loop.TrainingArguments;
import picocli.CommandLine.Option;

/**
 * Picocli mixin {@code --device cpu|gpu|gpu:N} for every command that loads a model: the one device its model and
 * every array of its run live on. Checked against the machine before anything loads; a GPU it lacks is refused
 * naming {@code --device}.
 */
final class DeviceOption {
  static final String SOURCE = "command line";

  @Option(names = "--device", paramLabel = "cpu|gpu|gpu:N", description = "where the model and every array of the"
      + " run live: cpu, gpu (the first GPU) or gpu:N; cuda and cuda:N are accepted too (default: the recipe's"
      + " device key where there is one, else DJL's default device: the first GPU when one is visible, else cpu)")
  String device;

  /** True when {@code --device} was given. */
  boolean isSet() {
    return device != null;
  }

  /** The device to use, checked: {@code --device}, else DJL's default device. */
  Device resolve() {
    return Devices.parse(device, SOURCE, "--device");
  }

  /** A base manager on {@link #resolve()}: models loaded into it keep their arrays there. */
  NDManager newBaseManager() {
    return NDManager.newBaseManager(resolve());
  }

  /** {@code training} with {@code --device} when it was given (it wins over the recipe), unchanged otherwise. */
  TrainingArguments applyTo(TrainingArguments training) {
    return isSet() ? training.toBuilder().device(resolve()).build() : training;
  }
}
