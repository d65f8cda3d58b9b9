// End-to-end: the menu commands by name, as a recorded Fiji macro would call them.
// Argument: "MODEL_PATH|OUTPUT_DIR".
args = split(getArgument(), "|");
model = args[0];
out = args[1];
run("Synthesize Cells...", "model=[" + model + "] bundled_class=dividing sequences=1 frames=3 size_x=32 size_y=30 size_z=24 voxel_size=0.4 codes=neighbours parameter=0 seed=2 folder=[" + out + "/synth]");
saveAs("Tiff", out + "/synth.tif");
run("Shape Descriptors");
// The table is ImageJ's "Results": a macro reads it with nResults and getResult.
File.saveString("" + nResults + " " + getResult("voxel_volume_um3", 0), out + "/results_seen_by_macro.txt");
saveAs("Results", out + "/descriptors.csv");
run("Export Meshes...", "folder=[" + out + "/meshes] format=stl");
// A 3D movie of the time-lapse (AVI), reopened by ImageJ.
movie_of = getTitle();
run("Save 3D Movie...", "file=[" + out + "/movie.avi] angle=30 frame_rate=5");
movie_frames = nSlices;
close();
open(out + "/movie.avi");
File.saveString("" + movie_frames + " " + nSlices + " " + getWidth(), out + "/movie_seen_by_macro.txt");
close();
selectImage(movie_of);
// An ImageJ binary mask (0/255) is one cell labelled 1, not 255.
run("Multiply...", "value=255 stack");
run("Shape Descriptors");
File.saveString("" + nResults + " " + getResult("label", 0) + " " + getResult("voxel_volume_um3", 0), out + "/binary_seen_by_macro.txt");
// A small benchmark dataset through the menu (Cell Tracking Challenge layout).
run("Simulate Dataset...", "model=bundled bundled_class=dividing cells=1 frames=2 size_x=48 size_y=48 size_z=20 voxel_xy=0.2 voxel_z=0.4 microscope=widefield NA=1.2 wavelength=520 refractive_index=1.33 SNR=8 seed=1 folder=[" + out + "/simulated]");
File.saveString("" + nImages + " " + bitDepth() + " " + nSlices, out + "/simulated_seen_by_macro.txt");
// Training from the current image when the installed library can train (a library built
// without libtorch cannot: the macro asks first, as a user's macro would).
training = call("cellsdf.fiji.Train_Model.hasTraining");
File.saveString(training, out + "/training.txt");
if (training == "true") {
    // A bundled-model cell in a field large enough that it touches no border (training
    // skips cut cells).
    run("Synthesize Cells...", "model=bundled bundled_class=dividing sequences=1 frames=3 size_x=48 size_y=48 size_z=48 voxel_size=0.3 codes=neighbours parameter=0 seed=2 folder=[" + out + "/train-source]");
    run("Train Model...", "source=[current image] model=[" + out + "/trained.safetensors] architecture=small epochs=2 learning_rate=0.001 seed=1 folder_axes=[as in the files]");
}
print("macro done");
