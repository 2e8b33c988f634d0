//! The Score form: the model (a folder, picked or typed, or `org/name` from the local Hugging
//! Face cache, typed or picked from the models found there), the scorer's name, the device, the
//! batch, int8 on the CPU, and the query of the samples to score.

use crate::ui::commands::ScoreRequest;
use crate::ui::commands::scoring::DEVICES;
use crate::ui::shared::enter_in;

/// What the form asks for this frame.
pub(super) enum Action {
    None,
    Browse,
    Start,
    Close,
}

/// The form's text fields, by id: Enter in any of them starts scoring.
const MODEL_FIELD: &str = "score_form_model";
const NAME_FIELD: &str = "score_form_name";
const SAMPLES_FIELD: &str = "score_form_samples";

/// `cached`: the models of the local Hugging Face cache a scorer could load (`org/name`), offered
/// in a menu under the model's field.
pub(super) fn form_ui(ui: &mut egui::Ui, form: &mut ScoreRequest, cached: &[String]) -> Action {
    let [model, name, samples] = [MODEL_FIELD, NAME_FIELD, SAMPLES_FIELD].map(egui::Id::unique);
    // Read before the fields are drawn: a single-line field gives up its focus on Enter.
    let mut action = if enter_in(ui.ctx(), &[model, name, samples]) { Action::Start } else { Action::None };
    // The fields' widths from the panel's, taken before the grid: inside it the available width
    // grows with what the row already holds, and fields sized from it widened the side panel a
    // little every frame while a long path was typed.
    let width = ui.available_width();
    let labels = 64.0;
    egui::Grid::new("score_form").num_columns(2).show(ui, |ui| {
        ui.label("Model");
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut form.model)
                    .id(model)
                    .hint_text("folder, or org/name in the HF cache")
                    .desired_width((width - labels - 90.0).max(120.0)),
            );
            if ui.button("Browse…").clicked() {
                action = Action::Browse;
            }
        });
        ui.end_row();
        if !cached.is_empty() {
            // A row of its own: beside the field and Browse… it would widen a narrow panel.
            ui.label("");
            ui.menu_button("From the cache…", |ui| {
                for model in cached {
                    if ui.button(model).clicked() {
                        form.model.clone_from(model);
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text("The models in the local Hugging Face cache (Verdict never downloads)");
            ui.end_row();
        }
        ui.label("Name");
        ui.add(egui::TextEdit::singleline(&mut form.name).id(name).hint_text("the folder's name").desired_width(160.0));
        ui.end_row();
        ui.label("Device");
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt("score_device").selected_text(form.device.clone()).show_ui(ui, |ui| {
                for d in DEVICES {
                    ui.selectable_value(&mut form.device, d.to_owned(), d);
                }
            });
            ui.label("Batch");
            ui.add(egui::DragValue::new(&mut form.batch).range(1..=4096));
        });
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut form.int8, "int8").on_hover_text(
            "The model's matrix products in int8 on the CPU (a sentence encoder's, a reward model's, CLIP and \
             SigLIP's, CLAP's layers): about twice as fast where the CPU has AVX-512 VNNI, about 1.6 times \
             with AVX2 alone; relevance within about 0.01 of f32's. Kept as a scorer of its own. Not on a GPU.",
        );
        ui.end_row();
        ui.label("Samples");
        ui.add(
            egui::TextEdit::singleline(&mut form.query)
                .id(samples)
                .hint_text("all (a filter narrows it)")
                .desired_width((width - labels - 10.0).max(120.0)),
        );
        ui.end_row();
    });
    ui.horizontal(|ui| {
        if ui.button("Start scoring").on_hover_text("Enter in a field starts it too").clicked() {
            action = Action::Start;
        }
        if ui.button("Close").clicked() {
            action = Action::Close;
        }
    });
    action
}
