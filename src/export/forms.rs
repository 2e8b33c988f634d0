//! The forms an export's rows take, decided once per export from the selected samples' shapes
//! (`Store::shapes`: earlier turns, media by kind, flag and exclusion) before its pass, so that
//! every file of the export, both sides of a split included, has one form:
//! TRL's standard, conversational text or conversational vision form; OpenRLHF's strings or
//! messages; LLaMA-Factory's one or two data files by kind of video.
//!
//! Only samples the pass could write count: flagged and excluded ones unless included, and none
//! the target refuses for their media (a video sample does not make a TRL export conversational).

use super::options::{ExportOptions, Form};
use super::targets::{TrlForm, VideoKinds};
use crate::store::Shape;

/// Facts about the samples a target could write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Facts {
    /// One has a system message or earlier turns.
    context: bool,
    /// One has input images.
    images: bool,
    /// One has an input video file (and no frame folder).
    video_files: bool,
    /// One has an input frame folder (and no video file).
    frame_folders: bool,
}

/// Gathers [`Facts`] over the samples that pass `options`' inclusion rules, leaving out those
/// with any of the `refused` bits.
fn facts(shapes: &[Shape], options: &ExportOptions, refused: u16) -> Facts {
    let mut skip = refused | Shape::MEDIA_RESPONSE;
    if !options.include_flagged {
        skip |= Shape::FLAGGED;
    }
    if !options.include_excluded {
        skip |= Shape::EXCLUDED;
    }
    let mut f = Facts::default();
    for s in shapes.iter().filter(|s| !s.any(skip)) {
        f.context |= s.any(Shape::SYSTEM | Shape::TURNS);
        f.images |= s.any(Shape::IMAGE);
        let both = s.has(Shape::VIDEO | Shape::FRAMES);
        f.video_files |= s.any(Shape::VIDEO) && !both;
        f.frame_folders |= s.any(Shape::FRAMES) && !both;
    }
    f
}

/// TRL's form: vision where a sample has images (or `--form messages` with images), text
/// conversations where one has a system message or earlier turns (or `--form messages`), else
/// standard. `--form strings` is standard whatever the samples hold (those it cannot carry are
/// left out).
pub fn trl(shapes: &[Shape], options: &ExportOptions) -> TrlForm {
    let f = facts(shapes, options, Shape::VIDEO | Shape::FRAMES | Shape::AUDIO);
    match (options.form, f.images, f.context) {
        (Form::Messages | Form::Auto, true, _) => TrlForm::ConversationalVision,
        (Form::Messages, false, _) | (Form::Auto, false, true) => TrlForm::ConversationalText,
        (Form::Strings, _, _) | (Form::Auto, false, false) => TrlForm::Standard,
    }
}

/// Whether OpenRLHF rows are message lists: asked, or (`auto`) a writable sample has a system
/// message or earlier turns.
pub fn openrlhf_messages(shapes: &[Shape], options: &ExportOptions) -> bool {
    match options.form {
        Form::Strings => false,
        Form::Messages => true,
        Form::Auto => facts(shapes, options, Shape::IMAGE | Shape::VIDEO | Shape::FRAMES | Shape::AUDIO).context,
    }
}

/// The kinds of video a LLaMA-Factory export holds.
pub fn llamafactory_videos(shapes: &[Shape], options: &ExportOptions) -> VideoKinds {
    let f = facts(shapes, options, 0);
    match (f.video_files, f.frame_folders) {
        (true, true) => VideoKinds::Both,
        (false, true) => VideoKinds::Frames,
        _ => VideoKinds::Files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Target;

    fn options(target: Target, form: Form) -> ExportOptions {
        let mut o = ExportOptions::new(target, "/tmp/never");
        o.form = form;
        o
    }

    #[test]
    fn trl_takes_the_plainest_form_its_samples_allow() {
        let plain = [Shape(0), Shape(0)];
        let system = [Shape(0), Shape(Shape::SYSTEM)];
        let image = [Shape(Shape::SYSTEM), Shape(Shape::IMAGE)];
        let auto = options(Target::Trl, Form::Auto);
        assert_eq!(trl(&plain, &auto), TrlForm::Standard);
        assert_eq!(trl(&system, &auto), TrlForm::ConversationalText);
        assert_eq!(trl(&image, &auto), TrlForm::ConversationalVision);
        // A sample TRL leaves out (video) or that is flagged does not decide the form.
        assert_eq!(trl(&[Shape(0), Shape(Shape::VIDEO | Shape::TURNS)], &auto), TrlForm::Standard);
        assert_eq!(trl(&[Shape(Shape::FLAGGED | Shape::IMAGE)], &auto), TrlForm::Standard);
        let mut flagged = auto.clone();
        flagged.include_flagged = true;
        assert_eq!(trl(&[Shape(Shape::FLAGGED | Shape::IMAGE)], &flagged), TrlForm::ConversationalVision);
        assert_eq!(trl(&plain, &options(Target::Trl, Form::Messages)), TrlForm::ConversationalText);
        assert_eq!(trl(&image, &options(Target::Trl, Form::Strings)), TrlForm::Standard);
    }

    #[test]
    fn openrlhf_writes_messages_where_a_text_sample_has_turns() {
        let auto = options(Target::OpenRlhf, Form::Auto);
        assert!(!openrlhf_messages(&[Shape(0)], &auto));
        assert!(openrlhf_messages(&[Shape(0), Shape(Shape::TURNS)], &auto));
        // An image sample is left out of OpenRLHF whatever its turns.
        assert!(!openrlhf_messages(&[Shape(Shape::IMAGE | Shape::TURNS)], &auto));
        assert!(openrlhf_messages(&[Shape(0)], &options(Target::OpenRlhf, Form::Messages)));
        assert!(!openrlhf_messages(&[Shape(Shape::TURNS)], &options(Target::OpenRlhf, Form::Strings)));
    }

    #[test]
    fn llamafactory_splits_files_only_when_both_kinds_of_video_are_there() {
        let o = options(Target::LlamaFactory, Form::Auto);
        assert_eq!(llamafactory_videos(&[Shape(Shape::VIDEO)], &o), VideoKinds::Files);
        assert_eq!(llamafactory_videos(&[Shape(Shape::FRAMES), Shape(0)], &o), VideoKinds::Frames);
        assert_eq!(llamafactory_videos(&[Shape(Shape::FRAMES), Shape(Shape::VIDEO)], &o), VideoKinds::Both);
        // A sample with both is left out, so it alone does not split the export.
        assert_eq!(llamafactory_videos(&[Shape(Shape::FRAMES | Shape::VIDEO)], &o), VideoKinds::Files);
    }
}
