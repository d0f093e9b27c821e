package dev.zephyr.core.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.zephyr.core.InvalidInputException;
import java.util.Locale;

/**
 * The one {@link Device} a run's arrays live on, named as users write it: {@code cpu}, {@code gpu} (the first GPU) or
 * {@code gpu:N}, with PyTorch's {@code cuda} and {@code cuda:N} accepted as the same thing. A device is checked
 * against what DJL's engine can see before any model is loaded, so a run asking for a GPU on a machine without one
 * (or with the CPU-only libtorch) stops at once, naming the option or recipe key that asked for it.
 *
 * <p>Arrays follow their manager's device: a model loaded with {@code NDManager.newBaseManager(device)} has its
 * parameters there, and every array a forward, a training step or generation creates comes from the managers of those
 * arrays, so it lands on the same device.
 */
public final class Devices {
  private Devices() {}

  /**
   * Parses and checks {@code value}; null or blank means DJL's default device ({@code Engine.defaultDevice()}: the
   * first GPU when the engine sees one, else the CPU).
   *
   * @param source the file or option group named by errors
   * @param key the option or recipe key named by errors ({@code --device}, {@code device})
   */
  public static Device parse(String value, String source, String key) {
    if (value == null || value.isBlank()) {
      return Engine.getInstance().defaultDevice();
    }
    return require(syntax(value, source, key), source, key);
  }

  /**
   * Parses {@code value} without asking the engine whether the device exists (recipes are parsed before a run, and a
   * dry run may plan on a machine without the GPU it will run on); {@link #require} checks it before loading.
   */
  public static Device syntax(String value, String source, String key) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("cpu")) {
      return Device.cpu();
    }
    for (String gpu : new String[] {"gpu", "cuda"}) {
      if (v.equals(gpu)) {
        return Device.gpu(0);
      }
      if (v.startsWith(gpu + ":")) {
        String id = v.substring(gpu.length() + 1);
        if (id.matches("\\d{1,4}")) {
          return Device.gpu(Integer.parseInt(id));
        }
      }
    }
    throw InvalidInputException.field(source, key, "expected cpu, gpu or gpu:N (cuda and cuda:N are accepted too),"
        + " found '" + value + "'");
  }

  /**
   * {@code device} when this machine has it; null means DJL's default device. Refuses a GPU index the engine does not
   * see and any device type other than CPU and GPU, naming {@code key}.
   */
  public static Device require(Device device, String source, String key) {
    if (device == null) {
      return Engine.getInstance().defaultDevice();
    }
    if (device.isGpu()) {
      int gpus = Engine.getInstance().getGpuCount();
      if (device.getDeviceId() >= gpus) {
        throw InvalidInputException.field(source, key, name(device) + " does not exist here: DJL's PyTorch engine"
            + " sees " + gpus + " GPU" + (gpus == 1 ? "" : "s") + (gpus == 0 ? " (no CUDA device, or the CPU-only"
            + " libtorch; see the README's GPU section)" : " (gpu:0 to gpu:" + (gpus - 1) + ")") + "; use cpu"
            + (gpus > 0 ? " or one of those" : ""));
      }
      return device;
    }
    if (!Device.Type.CPU.equals(device.getDeviceType())) {
      throw InvalidInputException.field(source, key, "device '" + device.getDeviceType() + "' is not supported;"
          + " expected cpu, gpu or gpu:N");
    }
    return device;
  }

  /** The device as {@link #parse} reads it back: {@code cpu} or {@code gpu:N}. */
  public static String name(Device device) {
    return device.isGpu() ? "gpu:" + device.getDeviceId() : device.getDeviceType();
  }

  /** True when arrays on {@code device} are in host memory (direct byte views of them are possible). */
  public static boolean isHost(Device device) {
    return Device.Type.CPU.equals(device.getDeviceType());
  }
}
